using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;
using Tollgate.MockUpstream;
using Tollgate.Server;
using Tollgate.Usage;

namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// The real thing on loopback: the mock upstream and the standalone Tollgate host, each on Kestrel with a
/// free port, wired together by configuration exactly as a user would.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string Key = "tg-test-SENTINELKEY-7f3a9c11";
    public const string LimitedKey = "tg-test-limited-0001";
    public const string DisabledKey = "tg-test-disabled-0001";
    public const string UpstreamSecret = "sk-upstream-SENTINELSECRET-c0ffee";
    public const string EnvelopeSecret = "sk-envelope-SENTINELSECRET-beef";

    /// <summary>Client model name → mock behaviour, served by the plain /v1 Bearer upstream.</summary>
    public static readonly Dictionary<string, string> Models = new()
    {
        ["gpt-test"] = "mock",
        ["gpt-reasoning"] = "mock@reasoning,details",
        ["gpt-tools"] = "mock@tools",
        ["gpt-429"] = "mock@status=429,retry-after=7",
        ["gpt-500"] = "mock@status=500",
        ["gpt-503"] = "mock@status=503,retry-after=3",
        ["gpt-402"] = "mock@status=402",
        ["gpt-400"] = "mock@status=400",
        ["gpt-401"] = "mock@status=401",
        ["gpt-drop"] = "mock@drop=2,chunks=6",
        ["gpt-nousage"] = "mock@nousage",
        ["gpt-json"] = "mock@json",
        ["gpt-html"] = "mock@html",
        ["gpt-redirect"] = "mock@redirect",
        ["gpt-slow"] = "mock@chunks=400,delay=50",
        ["gpt-split"] = "mock@split,crlf,reasoning",
        ["gpt-malformed"] = "mock@malformed",
        ["gpt-big"] = "mock@big=300000",
        ["gpt-usagechoices"] = "mock@usagechoices",
        ["gpt-stall"] = "mock@stall=5000",
        ["gpt-stallbody"] = "mock@stallbody=5000",
    };

    private readonly WebApplication _mock;
    private readonly WebApplication _gateway;

    private GatewayHost(WebApplication mock, WebApplication gateway, Uri mockUri, Uri baseUri, CapturingLoggerProvider logs, InMemoryUsageSink usage)
    {
        _mock = mock;
        _gateway = gateway;
        MockUri = mockUri;
        BaseUri = baseUri;
        Logs = logs;
        Usage = usage;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        MockHttp = new HttpClient { BaseAddress = mockUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; }
    public Uri MockUri { get; }
    public CapturingLoggerProvider Logs { get; }
    public InMemoryUsageSink Usage { get; }
    public HttpClient Http { get; }
    public HttpClient MockHttp { get; }
    public IServiceProvider Services => _gateway.Services;

    public static async Task<GatewayHost> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var mock = MockUpstreamApp.Create(["--urls", "http://127.0.0.1:0"]);
        await mock.StartAsync();
        var mockUri = new Uri(Address(mock));

        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Tollgate:Upstreams:mock:BaseUrl"] = mockUri.ToString(),
            ["Tollgate:Upstreams:mock:Secret"] = UpstreamSecret,
            ["Tollgate:Upstreams:env:BaseUrl"] = mockUri.ToString(),
            ["Tollgate:Upstreams:env:PathStyle"] = "ApiV1",
            ["Tollgate:Upstreams:env:AuthStyle"] = "ApiKey",
            ["Tollgate:Upstreams:env:Secret"] = EnvelopeSecret,
            ["Tollgate:Upstreams:env:Envelope"] = "true",
            ["Tollgate:Upstreams:env:Models:env-model"] = "mock@envelope,details",
            ["Tollgate:Upstreams:env:Models:env-429"] = "mock@envelope,status=429,retry-after=4",
            ["Tollgate:Upstreams:env:Models:env-402"] = "mock@envelope,status=402",
            ["Tollgate:Keys:0:Id"] = "key-main",
            ["Tollgate:Keys:0:Owner"] = "team-a",
            ["Tollgate:Keys:0:Key"] = Key,
            ["Tollgate:Keys:1:Id"] = "key-limited",
            ["Tollgate:Keys:1:Owner"] = "team-b",
            ["Tollgate:Keys:1:Key"] = LimitedKey,
            ["Tollgate:Keys:1:Models:0"] = "gpt-test",
            ["Tollgate:Keys:2:Id"] = "key-disabled",
            ["Tollgate:Keys:2:Key"] = DisabledKey,
            ["Tollgate:Keys:2:Disabled"] = "true",
            ["Tollgate:MaxUpstreamResponseBytes"] = "200000",
            ["Tollgate:MaxRequestBodyBytes"] = "65536",
        };
        foreach (var (client, upstream) in Models)
        {
            settings[$"Tollgate:Upstreams:mock:Models:{client}"] = upstream;
        }
        configure?.Invoke(settings);

        var logs = new CapturingLoggerProvider();
        var usage = new InMemoryUsageSink();
        var gateway = TollgateServer.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(logs);
            builder.Services.AddSingleton<IUsageSink>(usage);
        });
        await gateway.StartAsync();
        return new GatewayHost(mock, gateway, mockUri, new Uri(Address(gateway)), logs, usage);
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";

    public ChatClient ChatClient(string model, string key = Key) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUri, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(60),
        });

    public OpenAIClient OpenAIClient(string key = Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUri, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    /// <summary>Waits (bounded) for the usage record of a request; records land just after the response ends.</summary>
    public async Task<UsageRecord> WaitForRecordAsync(string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            var found = Usage.Snapshot().Where(r => r.RequestId == requestId).ToArray();
            if (found.Length > 0)
            {
                await Task.Delay(50);
                var again = Usage.Snapshot().Where(r => r.RequestId == requestId).ToArray();
                Assert.Single(again);
                return again[0];
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"No usage record for {requestId} within 10 s.");
    }

    /// <summary>What the mock upstream received for a gateway request id.</summary>
    public async Task<RecordedRequest?> UpstreamRequestAsync(string requestId)
    {
        using var response = await MockHttp.GetAsync($"mock/requests/{requestId}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<RecordedRequest>() : null;
    }

    public async Task<IReadOnlyList<RecordedRequest>> AllUpstreamRequestsAsync() =>
        await MockHttp.GetFromJsonAsync<List<RecordedRequest>>("mock/requests") ?? [];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        MockHttp.Dispose();
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
        await _mock.StopAsync();
        await _mock.DisposeAsync();
    }
}
