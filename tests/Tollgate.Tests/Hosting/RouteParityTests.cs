using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Diagnostics;
using Tollgate.Functions;
using Tollgate.Hosting;
using Tollgate.Server;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// The Functions app and the standalone host serve the same endpoints: both are held to <see cref="TollgateRoutes"/>, the
/// Functions app as its assembly declares it (the <c>[Function]</c> methods, their triggers, and the handler each one's
/// <see cref="HandlerResult"/> runs), the standalone host as it is really mapped. A route added to one host only, or
/// served by another handler, fails here.
/// </summary>
public sealed class RouteParityTests
{
    private static readonly string[] AllMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

    private static readonly Lazy<IReadOnlyList<FunctionsApp.Function>> Declared = new(() =>
    {
        using var services = Services();
        return FunctionsApp.Read(services);
    });

    private static IReadOnlyList<FunctionsApp.Function> Functions => Declared.Value;

    private static IEnumerable<FunctionsApp.Function> HttpFunctions => Functions.Where(f => f.IsHttp);

    /// <summary>Enough for the standalone host to build: one upstream and one key, no storage.</summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Tollgate:Upstreams:a:BaseUrl"] = "https://upstream.example",
        ["Tollgate:Upstreams:a:Secret"] = "sk-route-test",
        ["Tollgate:Upstreams:a:Models:m"] = "m",
        ["Tollgate:Keys:0:Id"] = "k",
        ["Tollgate:Keys:0:Key"] = "tg-route-test-0001",
    };

    [Fact]
    public void TheFunctionsAssembly_IsRead()
    {
        Assert.Contains(FunctionsApp.Classes(), t => t == typeof(ChatCompletionsFunction));
        Assert.Contains(Functions, f => f.Name == "ChatCompletions" && f.Route == "v1/chat/completions" && f.Methods.SequenceEqual(["POST"]));
        Assert.Contains(Functions, f => f.Name == "GetKey" && f.Handler == "KeyAdminHandlers.GetKeyAsync" && f.RouteValues.SequenceEqual([("id", "id")]));
    }

    [Fact]
    public void TheRouteTable_ListsEachMethodAndPatternOnce()
    {
        var duplicates = TollgateRoutes.All.GroupBy(r => (r.Method, r.Pattern)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Method} {g.Key.Pattern}");
        Assert.Empty(duplicates);
        Assert.All(TollgateRoutes.All, r =>
        {
            Assert.Contains(r.Method, AllMethods);
            Assert.StartsWith("/", r.Pattern, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void TheFunctionsApp_ServesExactlyTheRouteTable_WithTheSameHandlers()
    {
        using var services = Services();
        var table = TollgateRoutes.All.ToDictionary(r => Key(r.Method, r.Pattern), r => Name(r.Handler(services)));
        AssertSameRoutes("TollgateRoutes", table, "the Functions app", FunctionRoutes());
    }

    [Fact]
    public async Task TheStandaloneHost_MapsExactlyTheRouteTable_WithTheSameHandlersAsTheFunctions()
    {
        await using var app = TollgateServer.Create([], builder => builder.Configuration.AddInMemoryCollection(Settings));
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        // Every endpoint sets x-request-id before its handler runs; what follows looks at the handler.
        Assert.All(endpoints, e => Assert.NotSame(e.RequestDelegate, RequestIdHeader.Unwrap(e.RequestDelegate!)));

        // Served by a Core handler, as opposed to the 405 and 404 answers the mapping adds itself.
        var served = endpoints.Where(e => !IsMappingsOwnAnswer(RequestIdHeader.Unwrap(e.RequestDelegate!))).ToList();
        var mapped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var endpoint in served)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
            Assert.True(methods.Count == 1, $"{endpoint.RoutePattern.RawText} is served for [{string.Join(", ", methods)}]: one method per endpoint expected");
            Assert.True(mapped.TryAdd(Key(methods[0], endpoint.RoutePattern.RawText!), Name(RequestIdHeader.Unwrap(endpoint.RequestDelegate!))), $"{methods[0]} {endpoint.RoutePattern.RawText} is mapped twice");
        }
        var table = TollgateRoutes.All.ToDictionary(r => Key(r.Method, r.Pattern), r => Name(r.Handler(app.Services)));
        AssertSameRoutes("TollgateRoutes", table, "the standalone host", mapped);
        AssertSameRoutes("the standalone host", mapped, "the Functions app", FunctionRoutes());

        // Every other method of a served path gets the 405 with Allow; everything else the 404 fallback.
        var answers = endpoints.Except(served).ToList();
        var fallback = Assert.Single(answers, e => e.Metadata.GetMetadata<HttpMethodMetadata>() is null);
        Assert.Equal(int.MaxValue, fallback.Order);
        var notAllowed = answers.Except([fallback]).ToList();
        foreach (var path in TollgateRoutes.All.GroupBy(r => r.Pattern))
        {
            var endpoint = Assert.Single(notAllowed, e => e.RoutePattern.RawText == path.Key);
            Assert.Equal(AllMethods.Except(path.Select(r => r.Method)).Order(), endpoint.Metadata.GetRequiredMetadata<HttpMethodMetadata>().HttpMethods.Order());
        }
        Assert.Equal(TollgateRoutes.All.Select(r => r.Pattern).Distinct().Count(), notAllowed.Count);
    }

    [Fact]
    public void EveryRouteParameter_IsAMethodParameter_PassedToHandlerResult()
    {
        Assert.All(HttpFunctions, f =>
        {
            var parameters = f.RouteParameters;
            Assert.True(parameters.Order().SequenceEqual(f.StringParameters.Order()),
                $"{f.Name} ({f.Declaration}): route '{f.Route}' has parameters [{string.Join(", ", parameters)}], the method string parameters [{string.Join(", ", f.StringParameters)}]");
            Assert.True(parameters.Order().SequenceEqual(f.RouteValues.Select(v => v.Name).Order()),
                $"{f.Name} ({f.Declaration}): route '{f.Route}' has parameters [{string.Join(", ", parameters)}], HandlerResult gets [{string.Join(", ", f.RouteValues.Select(v => v.Name))}]");
            Assert.All(f.RouteValues, v => Assert.True(v.Name == v.Value, $"{f.Name} ({f.Declaration}): route value '{v.Name}' is given '{v.Value}', not the parameter '{v.Name}'"));
        });
    }

    [Fact]
    public void EveryHttpFunction_IsAnonymous_UnderAFreeRoute_AndOneCallIntoCore()
    {
        Assert.NotEmpty(HttpFunctions);
        Assert.All(HttpFunctions, f =>
        {
            Assert.True(f.AuthorizationLevel == "Anonymous", $"{f.Name} ({f.Declaration}) is {f.AuthorizationLevel ?? "not set"}: Tollgate checks keys itself");
            Assert.False(string.IsNullOrEmpty(f.Route), $"{f.Name} ({f.Declaration}) sets no Route: the host would serve it under its name");
            Assert.False(f.Route!.StartsWith('/'), $"{f.Name} ({f.Declaration}): a route starts without '/' (the route prefix is \"\")");
            // The Functions host keeps every route that starts with these for its own APIs.
            Assert.False(f.Route.StartsWith("admin", StringComparison.OrdinalIgnoreCase), $"{f.Name}: '{f.Route}' is reserved by the Functions host");
            Assert.False(f.Route.StartsWith("runtime", StringComparison.OrdinalIgnoreCase), $"{f.Name}: '{f.Route}' is reserved by the Functions host");
            Assert.NotEmpty(f.Methods);
            Assert.True(f.Handler is not null, $"{f.Name} ({f.Declaration}) is not one call into Core (new HandlerResult(handler.Method…)): it returned {f.Returned}");
        });
        Assert.All(TollgateRoutes.All, r => Assert.False(r.Pattern.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) || r.Pattern.StartsWith("/runtime", StringComparison.OrdinalIgnoreCase), r.Pattern));
    }

    [Fact]
    public void FunctionNames_AreUnique_IgnoringCase()
    {
        var duplicates = Functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicates);
        Assert.All(Functions, f => Assert.Matches("^[A-Za-z][A-Za-z0-9_-]{0,127}$", f.Name));
    }

    [Fact]
    public void OneTimer_RollsUsageUp_OnTheScheduleInTheAppSetting()
    {
        var timers = Functions.Where(f => f.Schedule is not null).ToList();
        var timer = Assert.Single(timers);
        Assert.Equal("%TOLLGATE_AGGREGATION_SCHEDULE%", timer.Schedule);
        Assert.Equal(timers.Count + HttpFunctions.Count(), Functions.Count);
    }

    [Fact]
    public void HostJson_ServesRoutesFromTheRoot()
    {
        // The Functions routes above are the standalone paths only because the route prefix is empty.
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
        Assert.Equal("", host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        // Telemetry goes through OpenTelemetry (FunctionsTelemetry), which samples nothing by default.
        Assert.Equal("OpenTelemetry", host.RootElement.GetProperty("telemetryMode").GetString());
        Assert.True(TimeSpan.TryParse(host.RootElement.GetProperty("functionTimeout").GetString(), System.Globalization.CultureInfo.InvariantCulture, out var timeout));
        // Above anything Tollgate's own limits let a request take to answer: a timed-out invocation restarts the worker.
        Assert.True(timeout > new Tollgate.Proxy.ProxyOptions().UpstreamResponseTimeout + new Tollgate.Proxy.ProxyOptions().RequestBodyTimeout, $"functionTimeout {timeout}");
    }

    /// <summary>The Functions app's HTTP routes, as <c>METHOD /pattern</c>, to the handler each calls.</summary>
    private static Dictionary<string, string> FunctionRoutes()
    {
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var function in HttpFunctions)
        {
            foreach (var method in function.Methods)
            {
                Assert.True(routes.TryAdd(Key(method, "/" + function.Route), function.Handler ?? $"({function.Returned})"),
                    $"{method} /{function.Route} is served by two functions ({function.Name} is one)");
            }
        }
        return routes;
    }

    private static void AssertSameRoutes(string expectedName, Dictionary<string, string> expected, string actualName, Dictionary<string, string> actual)
    {
        var missing = expected.Keys.Except(actual.Keys).Order(StringComparer.Ordinal).ToList();
        var extra = actual.Keys.Except(expected.Keys).Order(StringComparer.Ordinal).ToList();
        var different = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k])
            .Select(k => $"{k}: {expected[k]} in {expectedName}, {actual[k]} in {actualName}").ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && different.Count == 0,
            $"In {expectedName} but not in {actualName}: [{string.Join(", ", missing)}]. " +
            $"In {actualName} but not in {expectedName}: [{string.Join(", ", extra)}]. " +
            $"Served by different handlers: [{string.Join("; ", different)}].");
    }

    /// <summary>The Functions app's services: <c>AddTollgate</c>, as its Program.cs registers them.</summary>
    private static ServiceProvider Services() =>
        new ServiceCollection().AddLogging().AddTollgate(new ConfigurationBuilder().AddInMemoryCollection(Settings).Build()).BuildServiceProvider();

    private static string Key(string method, string pattern) => method.ToUpperInvariant() + " " + pattern;

    /// <summary>The handler a delegate runs, as <c>Type.Method</c>.</summary>
    private static string Name(RequestDelegate handler) => $"{handler.Method.DeclaringType!.Name}.{handler.Method.Name}";

    /// <summary>The 405 and 404 answers <see cref="TollgateEndpointRouteBuilderExtensions.MapTollgate"/> writes itself.</summary>
    private static bool IsMappingsOwnAnswer(RequestDelegate handler)
    {
        for (var type = handler.Method.DeclaringType; type is not null; type = type.DeclaringType)
        {
            if (type == typeof(TollgateEndpointRouteBuilderExtensions))
            {
                return true;
            }
        }
        return false;
    }
}
