using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Hosting;
using Tollgate.Proxy;
using Tollgate.Quota;
using Tollgate.Upstreams;
using Tollgate.Usage;

namespace Tollgate.Benchmarks;

/// <summary>
/// The whole chat-completions handler per request (authenticate, read, parse, route, rewrite, build the
/// upstream request, relay, settle usage), with the network replaced by an in-memory upstream handler and
/// logging off. "context only" is the cost of the test's own HttpContext, to subtract.
/// </summary>
public class HandlerBenchmarks
{
    private const string Key = "tg-bench-0000000000000000-loadtestkeyloadtestkeyloadtestkey";
    private const string LimitedKey = "tg-bench-limited-00000000-loadtestkeyloadtestkeyloadtestkey";
    private const string BudgetedKey = "tg-bench-budgeted-0000000-loadtestkeyloadtestkeyloadtestkey";
    private ServiceProvider _services = null!;
    private ChatCompletionsHandler _handler = null!;
    private QuotaFlusher _flusher = null!;
    private byte[] _plainBody = [];
    private byte[] _streamBody = [];
    private byte[] _adaptedBody = [];
    private byte[] _adaptableBody = [];

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Upstreams:mock:BaseUrl"] = "http://upstream.invalid",
            ["Tollgate:Upstreams:mock:Secret"] = "sk-bench",
            ["Tollgate:Upstreams:mock:Models:bench"] = "mock",
            ["Tollgate:Keys:0:Id"] = "bench",
            ["Tollgate:Keys:0:Key"] = Key,
            // A key with rate limits far above what the benchmark sends: the cost of taking and settling them.
            ["Tollgate:Keys:1:Id"] = "bench-limited",
            ["Tollgate:Keys:1:Key"] = LimitedKey,
            ["Tollgate:Keys:1:RequestsPerMinute"] = "1000000000",
            ["Tollgate:Keys:1:TokensPerMinute"] = "1000000000000",
            // A key with its own budget and its owner's, both far from their limits: reservations come out of the
            // instance's allowance in memory, so this is the cost of counting the prompt and reserving and settling twice.
            ["Tollgate:Keys:2:Id"] = "bench-budgeted",
            ["Tollgate:Keys:2:Key"] = BudgetedKey,
            ["Tollgate:Keys:2:Owner"] = "bench-team",
            ["Tollgate:Keys:2:Budget:Amount"] = "1000000000",
            ["Tollgate:Quota:OwnerBudgets:bench-team:Amount"] = "1000000000",
            ["Tollgate:Billing:Prices:0:Model"] = "bench",
            ["Tollgate:Billing:Prices:0:InputPerMillion"] = "0.15",
            ["Tollgate:Billing:Prices:0:OutputPerMillion"] = "0.60",
            // An upstream that adapts requests: max_tokens renamed, top_k dropped, in the parser's one pass.
            ["Tollgate:Upstreams:adapting:BaseUrl"] = "http://adapting.invalid",
            ["Tollgate:Upstreams:adapting:Secret"] = "sk-bench",
            ["Tollgate:Upstreams:adapting:Models:bench-adapted"] = "mock",
            ["Tollgate:Upstreams:adapting:Adapt:Rename:max_tokens"] = "max_completion_tokens",
            ["Tollgate:Upstreams:adapting:Adapt:Drop:0"] = "top_k",
            ["Tollgate:Billing:Prices:1:Model"] = "bench-adapted",
            ["Tollgate:Billing:Prices:1:InputPerMillion"] = "0.15",
            ["Tollgate:Billing:Prices:1:OutputPerMillion"] = "0.60",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IUsageSink, DiscardingUsageSink>();
        services.AddSingleton(new UpstreamClient(new CannedUpstream()));
        services.AddTollgate(configuration);
        _services = services.BuildServiceProvider();
        _handler = _services.GetRequiredService<ChatCompletionsHandler>();
        // As in a host: the flusher reports and renews the leases of budgets and rate-limit minutes, so allowances stay
        // usable in memory (a lease not renewed sends every request to the quota store).
        _flusher = _services.GetRequiredService<QuotaFlusher>();
        _flusher.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _plainBody = Encoding.UTF8.GetBytes("""{"model":"bench","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something useful about gateways."}]}""");
        _adaptedBody = Encoding.UTF8.GetBytes("""{"model":"bench-adapted","max_tokens":256,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something useful about gateways."}],"top_k":40}""");
        _adaptableBody = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(_adaptedBody).Replace("bench-adapted", "bench", StringComparison.Ordinal));
        _streamBody = Encoding.UTF8.GetBytes("""{"model":"bench","stream":true,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something useful about gateways."}]}""");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _flusher.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _services.Dispose();
    }

    [Benchmark(Baseline = true, Description = "context only")]
    public HttpContext ContextOnly() => NewContext(_plainBody);

    [Benchmark(Description = "handler, non-streaming")]
    public Task NonStreaming() => _handler.HandleAsync(NewContext(_plainBody));

    [Benchmark(Description = "handler, 21-event stream")]
    public Task Streaming() => _handler.HandleAsync(NewContext(_streamBody));

    [Benchmark(Description = "handler, non-streaming, key with rate limits")]
    public Task NonStreamingRateLimited() => _handler.HandleAsync(NewContext(_plainBody, LimitedKey));

    [Benchmark(Description = "handler, non-streaming, key and owner with budgets")]
    public Task NonStreamingBudgeted() => _handler.HandleAsync(NewContext(_plainBody, BudgetedKey));

    [Benchmark(Description = "handler, non-streaming, upstream that adapts (rename + drop)")]
    public Task NonStreamingAdapted() => _handler.HandleAsync(NewContext(_adaptedBody));

    [Benchmark(Description = "handler, non-streaming, that body to an upstream that does not adapt")]
    public Task NonStreamingAdaptable() => _handler.HandleAsync(NewContext(_adaptableBody));

    private static DefaultHttpContext NewContext(byte[] body, string key = Key)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Headers.Authorization = "Bearer " + key;
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Response.Body = Stream.Null;
        return context;
    }

    private sealed class DiscardingUsageSink : IUsageSink
    {
        public bool TryReserve() => true;

        public void Record(UsageRecord record)
        {
        }
    }

    /// <summary>Answers like the mock upstream, from memory: a completion, or 21 SSE events.</summary>
    private sealed class CannedUpstream : HttpMessageHandler
    {
        private static readonly byte[] Completion = Encoding.UTF8.GetBytes(
            """{"id":"c","object":"chat.completion","created":1,"model":"mock","choices":[{"index":0,"message":{"role":"assistant","content":"tok0 tok1 tok2 tok3 tok4 "},"finish_reason":"stop"}],"usage":{"prompt_tokens":16,"completion_tokens":5,"total_tokens":21}}""");

        private static readonly byte[] Events = BuildEvents();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var stream = body.AsSpan().IndexOf("\"stream\":true"u8) >= 0;
            var content = new ByteArrayContent(stream ? Events : Completion);
            content.Headers.TryAddWithoutValidation("Content-Type", stream ? "text/event-stream" : "application/json");
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content };
        }

        private static byte[] BuildEvents()
        {
            var sb = new StringBuilder();
            sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
            for (var i = 0; i < 18; i++)
            {
                sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok").Append(i).Append(" \"},\"finish_reason\":null}]}\n\n");
            }
            sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock\",\"choices\":[],\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":18,\"total_tokens\":34}}\n\n");
            sb.Append("data: [DONE]\n\n");
            return Encoding.UTF8.GetBytes(sb.ToString());
        }
    }
}
