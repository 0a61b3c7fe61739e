using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Admin;
using Tollgate.Functions;
using Tollgate.Hosting;

namespace Tollgate.Tests.Functions;

/// <summary>What a function returns: the Core handler runs with the route's values on the request, as in the standalone host.</summary>
public sealed class HandlerResultTests
{
    private const string AdminKey = "tg-admin-handler-result-test-0001";

    private static ActionContext Action(HttpContext context) => new(context, new RouteData(), new ActionDescriptor());

    [Fact]
    public async Task RouteValues_AreOnTheRequest_WhenTheHandlerRuns()
    {
        var context = new DefaultHttpContext();
        object? id = null, owner = null;
        var result = new HandlerResult(c =>
        {
            id = c.Request.RouteValues["id"];
            owner = c.Request.RouteValues["owner"];
            return Task.CompletedTask;
        }, ("id", "key-1"), ("owner", "team-a"));

        await result.ExecuteResultAsync(Action(context));

        Assert.Equal("key-1", id);
        Assert.Equal("team-a", owner);
    }

    [Fact]
    public async Task ARouteValueAlreadyThere_IsReplaced_OthersAreKept()
    {
        var context = new DefaultHttpContext();
        context.Request.RouteValues["id"] = "routed-by-the-worker";
        context.Request.RouteValues["other"] = "kept";

        await new HandlerResult(_ => Task.CompletedTask, ("id", "bound-by-the-trigger")).ExecuteResultAsync(Action(context));

        Assert.Equal("bound-by-the-trigger", context.Request.RouteValues["id"]);
        Assert.Equal("kept", context.Request.RouteValues["other"]);
    }

    [Fact]
    public async Task WithoutRouteValues_TheHandlerRunsOnTheRequestAsItIs()
    {
        var context = new DefaultHttpContext();
        HttpContext? seen = null;

        await new HandlerResult(c =>
        {
            seen = c;
            return Task.CompletedTask;
        }).ExecuteResultAsync(Action(context));

        Assert.Same(context, seen);
        Assert.Empty(context.Request.RouteValues);
    }

    [Fact]
    public async Task TheAdminApiReadsTheKeyId_FromTheRouteValuesGiven()
    {
        var context = new DefaultHttpContext();
        string? id = null;

        await new HandlerResult(c =>
        {
            id = AdminRequest.RouteId(c);
            return Task.CompletedTask;
        }, ("id", "key-7")).ExecuteResultAsync(Action(context));

        Assert.Equal("key-7", id);
    }

    [Fact]
    public async Task AnAdminHandler_ServesTheOwnerInTheRouteValues_AndRefusesWithoutThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Upstreams:a:BaseUrl"] = "https://upstream.example",
            ["Tollgate:Upstreams:a:Secret"] = "sk-test",
            ["Tollgate:Upstreams:a:Models:m"] = "m",
            ["Tollgate:Admin:Keys:0:Id"] = "admin",
            ["Tollgate:Admin:Keys:0:Key"] = AdminKey,
            ["Tollgate:Quota:OwnerBudgets:team-a:Amount"] = "100",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
        var budgets = services.GetRequiredService<BudgetAdminHandlers>();

        var (status, body) = await RunAsync(new HandlerResult(budgets.GetAsync, ("owner", "team-a")));
        Assert.Equal(200, status);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal("team-a", json.RootElement.GetProperty("owner").GetString());
            Assert.Equal(100m, json.RootElement.GetProperty("budget").GetProperty("amount").GetDecimal());
        }

        // What the handler would see in a Functions worker that did not route the request itself.
        (status, body) = await RunAsync(new HandlerResult(budgets.GetAsync));
        Assert.Equal(400, status);
        Assert.Contains("invalid_owner", body, StringComparison.Ordinal);
    }

    [Fact]
    public void NullArguments_AreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new HandlerResult(null!));
        Assert.Throws<ArgumentNullException>(() => new HandlerResult(_ => Task.CompletedTask, null!));
    }

    private static async Task<(int Status, string Body)> RunAsync(HandlerResult result)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Authorization = "Bearer " + AdminKey;
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(Action(context));
        return (context.Response.StatusCode, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
