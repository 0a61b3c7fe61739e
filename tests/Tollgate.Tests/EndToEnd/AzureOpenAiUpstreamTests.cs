using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Tests.Harness;
using Tollgate.Tests.Upstreams;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Azure OpenAI as an upstream through the real path: both URL styles, api-key and Microsoft Entra ID.</summary>
public sealed class AzureOpenAiUpstreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, Tollgate.MockUpstream.RecordedRequest? Forwarded)> SendAsync(GatewayHost host, string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "hi" } } })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await host.Http.SendAsync(request, Ct);
        return (response.StatusCode, await host.UpstreamRequestAsync(response.Headers.GetValues("x-request-id").Single()));
    }

    [Fact]
    public async Task TheDeploymentStyleUrl_CarriesTheDeploymentAndApiVersion_SignedInWithTheApiKey()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Upstreams:aoai:BaseUrl"] = s["Tollgate:Upstreams:mock:BaseUrl"];
            s["Tollgate:Upstreams:aoai:AuthStyle"] = "ApiKey";
            s["Tollgate:Upstreams:aoai:Secret"] = "aoai-key-SENTINEL";
            s["Tollgate:Upstreams:aoai:Azure:ApiStyle"] = "Deployment";
            s["Tollgate:Upstreams:aoai:Azure:ApiVersion"] = "2024-10-21";
            s["Tollgate:Upstreams:aoai:Models:gpt-az"] = "mock";
            GatewayHost.AddPrice(s, "gpt-az");
        });

        var (status, forwarded) = await SendAsync(host, "gpt-az");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(forwarded);
        Assert.Equal("/openai/deployments/mock/chat/completions?api-version=2024-10-21", forwarded.Path);
        Assert.Equal("aoai-key-SENTINEL", forwarded.Headers["api-key"]);
        Assert.False(forwarded.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task TheV1Api_SignedInWithEntraId_SendsTheCachedToken()
    {
        var tokens = new FakeTokenCredential(TimeProvider.System, "entra");
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Upstreams:aoai:BaseUrl"] = s["Tollgate:Upstreams:mock:BaseUrl"];
            s["Tollgate:Upstreams:aoai:Azure:AuthMode"] = "Entra";
            s["Tollgate:Upstreams:aoai:Models:gpt-az"] = "mock";
            GatewayHost.AddPrice(s, "gpt-az");
        }, services: services => services.AddSingleton<TokenCredential>(tokens));

        for (var i = 0; i < 3; i++)
        {
            var (status, forwarded) = await SendAsync(host, "gpt-az");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("/openai/v1/chat/completions", forwarded!.Path);
            Assert.Equal("Bearer entra-1", forwarded.Headers["authorization"]);
        }
        // One token for all three requests, for Azure OpenAI's scope.
        Assert.Equal(1, tokens.Calls);
        Assert.Equal("https://cognitiveservices.azure.com/.default", Assert.Single(tokens.Scopes.Distinct(), s => true).Single());
    }
}
