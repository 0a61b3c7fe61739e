using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Tollgate.Errors;
using Tollgate.Functions;
using Tollgate.Hosting;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Diagnostics;

/// <summary><c>x-request-id</c> is on every answer, whatever endpoint, status or host (README: Observability).</summary>
public sealed class RequestIdHeaderTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void AssertRequestId(HttpResponseMessage response, string what)
    {
        Assert.True(response.Headers.TryGetValues("x-request-id", out var values), $"{what} answered {(int)response.StatusCode} without x-request-id");
        Assert.Matches("^req_[0-9a-f]{24}$", Assert.Single(values));
    }

    /// <summary>A body each route accepts (or refuses for its content, not its shape).</summary>
    private static HttpContent? Body(TollgateRoutes.Route route) => (route.Method, route.Pattern) switch
    {
        ("POST", "/manage/keys") => JsonContent.Create(new { name = "n", owner = "team-a" }),
        ("PATCH", _) => JsonContent.Create(new { name = "renamed" }),
        ("PUT", "/manage/prices") => JsonContent.Create(new { model = "gpt-test", effective_from = DateTimeOffset.UtcNow.AddDays(1), input_per_million = 1, output_per_million = 2 }),
        ("PUT", _) => JsonContent.Create(new { amount = 10 }),
        ("POST", var p) when p.EndsWith("/chat/completions", StringComparison.Ordinal) =>
            JsonContent.Create(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } } }),
        _ => null,
    };

    [Fact]
    public async Task EveryRoute_And404And405_AnswerWithARequestId_ThroughKestrel()
    {
        await using var host = await GatewayHost.StartAsync(storageConnectionString: azurite.ConnectionString, tablePrefix: azurite.UniquePrefix());
        var (keyId, _) = await new AdminClient(host.Http).CreateKeyAsync("team-a");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Revoking comes last: the key it revokes is the one the other routes use.
        foreach (var route in TollgateRoutes.All.OrderBy(r => r.Pattern.EndsWith("/revoke", StringComparison.Ordinal)))
        {
            var path = route.Pattern.Replace("{id}", keyId, StringComparison.Ordinal).Replace("{owner}", "team-a", StringComparison.Ordinal);
            if (route.Method == "DELETE" && path == "/manage/prices")
            {
                path += "?model=gpt-test&effective_from=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(2).ToString("O"));
            }
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), path.TrimStart('/')) { Content = Body(route) };
            var admin = route.Pattern.StartsWith("/manage/", StringComparison.Ordinal);
            if (route.Pattern != "/healthz")
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin ? GatewayHost.AdminKey : GatewayHost.Key);
            }
            using var response = await host.Http.SendAsync(request, Ct);
            var what = $"{route.Method} {route.Pattern}";
            // Authenticated and served: not a refusal of the key, and not a failure.
            Assert.True((int)response.StatusCode is < 400 or 404 or 409 or 422 && response.StatusCode != System.Net.HttpStatusCode.Unauthorized,
                $"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
            AssertRequestId(response, what);
            Assert.True(seen.Add(response.Headers.GetValues("x-request-id").Single()), $"{what} reused a request id");
        }

        // An unknown path, a method the path does not take, and refusals: no key, no admin key.
        foreach (var (method, path, status) in new[] { ("GET", "no/such/endpoint", 404), ("DELETE", "v1/models", 405), ("GET", "v1/models", 401), ("GET", "manage/keys", 401) })
        {
            using var response = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);
            Assert.Equal(status, (int)response.StatusCode);
            AssertRequestId(response, $"{method} /{path}");
        }
    }

    [Fact]
    public async Task AFunction_AnswersWithARequestId_WhateverTheHandlerWrites()
    {
        var context = new DefaultHttpContext();
        await new HandlerResult(HealthHandler.HandleAsync).ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        Assert.Matches("^req_[0-9a-f]{24}$", context.Response.Headers["x-request-id"].ToString());

        // The id is there before the handler runs, so an id it records (the chat handler's usage record) is the header's.
        context = new DefaultHttpContext();
        string? before = null;
        await new HandlerResult(c =>
        {
            before = c.Response.Headers["x-request-id"].ToString();
            return ApiErrorWriter.WriteAsync(c.Response, ApiErrors.NotFound);
        }).ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        Assert.Matches("^req_[0-9a-f]{24}$", before);
        Assert.Equal(before, context.Response.Headers["x-request-id"].ToString());
    }

    [Fact]
    public async Task AnErrorWrittenOutsideAHost_StillCarriesARequestId()
    {
        var context = new DefaultHttpContext();
        await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.NotFound);
        Assert.Matches("^req_[0-9a-f]{24}$", context.Response.Headers["x-request-id"].ToString());
    }
}
