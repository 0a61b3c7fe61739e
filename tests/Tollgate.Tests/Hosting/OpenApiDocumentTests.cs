using System.Net;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Tollgate.Hosting;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// The OpenAPI document (<c>GET /openapi/v1.json</c>) against the route table: parsed by Microsoft.OpenApi without an
/// error, every route in it with its method, request bodies and error answers with their schemas.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> ParseAsync(Stream json)
    {
        var settings = new OpenApiReaderSettings();
        var result = await OpenApiDocument.LoadAsync(json, "json", settings, Ct);
        return (result.Document!, result.Diagnostic!);
    }

    [Fact]
    public async Task TheServedDocument_Parses_AndHoldsEveryRouteOfTheRouteTable()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Http.GetAsync("openapi/v1.json", Ct); // no key needed
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var (document, diagnostic) = await ParseAsync(await response.Content.ReadAsStreamAsync(Ct));
        Assert.Empty(diagnostic.Errors);
        Assert.Empty(diagnostic.Warnings);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);

        var documented = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => $"{m.Method.ToUpperInvariant()} {p.Key}")).ToHashSet();
        // A catch-all ({*path}) is written as a plain path parameter in OpenAPI.
        var routes = TollgateRoutes.All.Select(r => $"{r.Method} {r.Pattern.Replace("{*", "{", StringComparison.Ordinal)}").ToHashSet();
        Assert.Equal(routes.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations!)
            {
                var name = $"{method} {path}";
                Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{name} has no summary");
                Assert.Contains(operation.Responses!.Keys, k => k.StartsWith('2'));
                // Every error answer is OpenAI's error object.
                foreach (var (status, answer) in operation.Responses!.Where(r => r.Key[0] is '4' or '5'))
                {
                    var schema = answer.Content!["application/json"].Schema;
                    Assert.True(schema is OpenApiSchemaReference { Reference.Id: "Error" }, $"{name} {status} is not the Error schema");
                }
                if (method == HttpMethod.Post && path.EndsWith("/chat/completions", StringComparison.Ordinal))
                {
                    var body = operation.RequestBody!.Content!["application/json"].Schema!;
                    Assert.Equal("ChatCompletionRequest", Assert.IsType<OpenApiSchemaReference>(body).Reference.Id);
                    Assert.Contains("429", operation.Responses!.Keys);
                    Assert.Contains("text/event-stream", operation.Responses["200"].Content!.Keys);
                }
                if (path.StartsWith("/manage/", StringComparison.Ordinal))
                {
                    Assert.Equal("adminKey", Assert.Single(Assert.Single(operation.Security!).Keys).Reference.Id);
                }
            }
        }
        var error = document.Components!.Schemas!["Error"];
        Assert.Contains("error", error.Required!);
    }

    [Fact]
    public void TheEmbeddedDocument_IsTheFileInTheRepository()
    {
        var file = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "src", "Tollgate.Core", "Hosting", "openapi.json"));
        Assert.Equal(file, OpenApiHandler.Bytes.ToArray());
    }
}
