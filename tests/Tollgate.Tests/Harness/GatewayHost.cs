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

namespace Tollgate.Tests.Harness;

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
        ["gpt-linger"] = "mock@linger=20000",
    };

    public const string AdminKey = "tg-admin-SENTINELADMIN-0123456789abcdef";

    private readonly WebApplication _mock;
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _durable;
    private WebApplication? _gateway;
    private Action<IServiceCollection>? _services;

    private GatewayHost(WebApplication mock, Uri mockUri, Dictionary<string, string?> settings, bool durable, CapturingLoggerProvider logs)
    {
        _mock = mock;
        MockUri = mockUri;
        _settings = settings;
        _durable = durable;
        Logs = logs;
        Usage = new InMemoryUsageSink();
        MockHttp = new HttpClient { BaseAddress = mockUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; private set; } = null!;
    public Uri MockUri { get; }
    public CapturingLoggerProvider Logs { get; }
    /// <summary>Records, when the gateway runs without storage (with storage they go to the usage table).</summary>
    public InMemoryUsageSink Usage { get; }
    public HttpClient Http { get; private set; } = null!;
    public HttpClient MockHttp { get; }
    public IServiceProvider Services => _gateway!.Services;

    /// <param name="configure">Changes to the gateway's settings.</param>
    /// <param name="storageConnectionString">Azurite (or Azure) connection string: keys and usage then live in Table Storage.</param>
    /// <param name="tablePrefix">Table prefix, so tests sharing one Azurite do not see each other's rows.</param>
    /// <param name="services">Services the gateway gets besides its own (registered first, so they win).</param>
    public static async Task<GatewayHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, string? storageConnectionString = null, string? tablePrefix = null,
        Action<IServiceCollection>? services = null)
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
        // Every test model has a price (an unpriced model is refused); tests of pricing change these.
        foreach (var model in Models.Keys.Concat(["env-model", "env-429", "env-402"]))
        {
            AddPrice(settings, model);
        }
        if (storageConnectionString is not null)
        {
            settings["Tollgate:Storage:ConnectionString"] = storageConnectionString;
            settings["Tollgate:Storage:TablePrefix"] = tablePrefix ?? "tollgate";
            settings["Tollgate:Admin:Keys:0:Id"] = "test-admin";
            settings["Tollgate:Admin:Keys:0:Key"] = AdminKey;
            settings["Tollgate:Usage:FlushInterval"] = "00:00:00.200";
            settings["Tollgate:Usage:MaxRetryDelay"] = "00:00:01";
        }
        configure?.Invoke(settings);

        var host = new GatewayHost(mock, mockUri, settings, storageConnectionString is not null, new CapturingLoggerProvider()) { _services = services };
        await host.StartGatewayAsync();
        return host;
    }

    /// <summary>Prices per million tokens every test model has: input, cached input, output.</summary>
    public const decimal InputPrice = 1.00m, CachedInputPrice = 0.50m, OutputPrice = 2.00m;

    /// <summary>Adds a price for <paramref name="model"/> (the test prices, from 2020) to the settings.</summary>
    public static void AddPrice(Dictionary<string, string?> settings, string model)
    {
        var index = settings.Keys.Count(k => k.StartsWith("Tollgate:Billing:Prices:", StringComparison.Ordinal) && k.EndsWith(":Model", StringComparison.Ordinal));
        var prefix = $"Tollgate:Billing:Prices:{index}:";
        settings[prefix + "Model"] = model;
        settings[prefix + "EffectiveFrom"] = "2020-01-01T00:00:00Z";
        settings[prefix + "InputPerMillion"] = InputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[prefix + "CachedInputPerMillion"] = CachedInputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[prefix + "OutputPerMillion"] = OutputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Starts the gateway (again), on a new free port, with the same settings.</summary>
    public async Task StartGatewayAsync()
    {
        var gateway = TollgateServer.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(_settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(Logs);
            if (!_durable)
            {
                builder.Services.AddSingleton<IUsageSink>(Usage);
            }
            _services?.Invoke(builder.Services);
        });
        await gateway.StartAsync();
        _gateway = gateway;
        BaseUri = new Uri(Address(gateway));
        Http?.Dispose();
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Gracefully stops the gateway: in-flight requests finish and the usage ledger drains.</summary>
    public async Task StopGatewayAsync()
    {
        if (_gateway is null)
        {
            return;
        }
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
        _gateway = null;
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
        await StopGatewayAsync();
        await _mock.StopAsync();
        await _mock.DisposeAsync();
    }
}
