using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tollgate.Diagnostics;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// OpenTelemetry through the standalone host's real path: the spans and GenAI metrics one request produces (in-memory
/// exporter), and export over OTLP/HTTP to a receiver the test runs. Listeners are process-wide and tests run in
/// parallel, so each test follows its own request by its id and model name.
/// </summary>
public sealed class TelemetryTests
{
    private const string Model = "gpt-otel";
    private const string Prompt = "PROMPT-SENTINEL-7f3a tell me about gateways";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Configure(Dictionary<string, string?> s)
    {
        s[$"Tollgate:Upstreams:mock:Models:{Model}"] = "mock@chunks=3";
        GatewayHost.AddPrice(s, Model);
    }

    private static HttpRequestMessage Chat(bool stream) => new(HttpMethod.Post, "v1/chat/completions")
    {
        Content = JsonAssert.Body($$"""{"model":"{{Model}}","stream":{{(stream ? "true" : "false")}},"max_completion_tokens":20,"messages":[{"role":"user","content":"{{Prompt}}"}]}"""),
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key) },
    };

    [Fact]
    public async Task OneRequest_MakesTheServerSpan_TheChatSpanWithGenAiAttributes_AndTheUpstreamClientSpan_WithTraceContextForwarded()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        await using var host = await GatewayHost.StartAsync(Configure, services: s => s.AddOpenTelemetry().AddTollgateInstrumentation()
            .WithTracing(t => t.AddInMemoryExporter(spans))
            .WithMetrics(m => m.AddInMemoryExporter(metrics)));

        using var response = await host.Http.SendAsync(Chat(stream: false), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var completion = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement
            .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.True(completion.Length >= 5);
        using var streamed = await host.Http.SendAsync(Chat(stream: true), Ct);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        await streamed.Content.ReadAsStringAsync(Ct);
        await host.StopGatewayAsync(); // flushes both providers

        Activity[] all;
        lock (spans)
        {
            all = [.. spans];
        }
        var chat = Assert.Single(all, a => a.Source.Name == TollgateMetrics.MeterName && Equals(a.GetTagItem("tollgate.request_id"), requestId));
        Assert.Equal($"chat {Model}", chat.DisplayName);
        Assert.Equal(ActivityKind.Internal, chat.Kind);
        var server = Assert.Single(all, a => a.SpanId == chat.ParentSpanId);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal("Microsoft.AspNetCore", server.Source.Name);
        var client = all.SingleOrDefault(a => a.ParentSpanId == chat.SpanId && a.Kind == ActivityKind.Client)
            ?? throw new Xunit.Sdk.XunitException(string.Join("\n", all.Where(a => a.TraceId == chat.TraceId || a.Kind == ActivityKind.Client)
                .Select(a => $"{a.Source.Name} {a.Kind} {a.DisplayName} trace {a.TraceId} span {a.SpanId} parent {a.ParentSpanId}")) + $"\nchat {chat.SpanId}");
        Assert.Equal(chat.TraceId, client.TraceId);

        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("_OTHER", chat.GetTagItem("gen_ai.provider.name")); // the mock is on loopback, no known provider
        Assert.Equal(Model, chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal("mock@chunks=3", chat.GetTagItem("gen_ai.response.model")); // the upstream model the deployment names
        Assert.Equal(new[] { "stop" }, chat.GetTagItem("gen_ai.response.finish_reasons"));
        var input = Assert.IsType<long>(chat.GetTagItem("gen_ai.usage.input_tokens"));
        var output = Assert.IsType<long>(chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.True(input > 0 && output > 0);

        // W3C trace context forwarded: the upstream saw the client span as its parent.
        var upstream = await host.UpstreamRequestAsync(requestId);
        Assert.NotNull(upstream);
        Assert.StartsWith($"00-{client.TraceId}-{client.SpanId}-", upstream.Headers["traceparent"], StringComparison.Ordinal);

        // GenAI metrics, by this test's model: tokens by type, one duration per request, a time to first token for the stream.
        var points = Points(metrics, "gen_ai.client.token.usage");
        Assert.Equal(2 * input, Sum(points, "input")); // both requests sent the same prompt
        Assert.True(Sum(points, "output") > output);
        Assert.Equal(2, Points(metrics, "gen_ai.client.operation.duration").Sum(p => p.GetHistogramCount()));
        Assert.Equal(1, Points(metrics, "gen_ai.server.time_to_first_token").Sum(p => p.GetHistogramCount()));
        var duration = metrics.First(m => m.Name == "gen_ai.client.operation.duration");
        Assert.Equal("s", duration.Unit);

        // Never a prompt, a completion or a key in any attribute of this trace or any metric point.
        var text = new StringBuilder();
        foreach (var span in all.Where(a => a.TraceId == chat.TraceId))
        {
            text.Append(span.DisplayName).Append(' ');
            foreach (var (name, value) in span.TagObjects)
            {
                text.Append(name).Append('=').Append(value is string[] list ? string.Join(",", list) : value).Append(' ');
            }
        }
        foreach (var metric in metrics)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    text.Append(tag.Key).Append('=').Append(tag.Value).Append(' ');
                }
            }
        }
        var seen = text.ToString();
        Assert.Contains("gen_ai.request.model=" + Model, seen, StringComparison.Ordinal);
        Assert.DoesNotContain("PROMPT-SENTINEL", seen, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayHost.Key, seen, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayHost.UpstreamSecret, seen, StringComparison.Ordinal);
        Assert.DoesNotContain(completion, seen, StringComparison.Ordinal);
    }

    private static List<MetricPoint> Points(List<Metric> metrics, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == "gen_ai.request.model" && Equals(tag.Value, Model))
                    {
                        points.Add(point);
                    }
                }
            }
        }
        return points;
    }

    /// <summary>The sum of the token histogram's points of one type.</summary>
    private static long Sum(List<MetricPoint> points, string type)
    {
        long total = 0;
        foreach (var point in points)
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == "gen_ai.token.type" && Equals(tag.Value, type))
                {
                    total += (long)point.GetHistogramSum();
                }
            }
        }
        return total;
    }

    [Fact]
    public async Task WithAnOtlpEndpoint_TheStandaloneHostExportsSpansMetricsAndLogs_AndNothingSecret()
    {
        var received = new ConcurrentDictionary<string, ConcurrentQueue<byte[]>>();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = receiver.Build();
        collector.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy);
            received.GetOrAdd(signal, _ => new ConcurrentQueue<byte[]>()).Enqueue(copy.ToArray());
            return Results.Ok();
        });
        await collector.StartAsync(Ct);
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var host = await GatewayHost.StartAsync(s =>
        {
            Configure(s);
            s["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            s["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            s["OTEL_SERVICE_NAME"] = "tollgate-otlp-test";
        });
        using var response = await host.Http.SendAsync(Chat(stream: true), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Ct);
        await host.StopGatewayAsync(); // the providers flush on shutdown

        string Seen(string signal) => received.TryGetValue(signal, out var bodies)
            ? string.Concat(bodies.Select(b => Encoding.UTF8.GetString(b))) : "";
        var traces = Seen("traces");
        var metrics = Seen("metrics");
        Assert.Contains($"chat {Model}", traces, StringComparison.Ordinal);
        Assert.Contains("gen_ai.provider.name", traces, StringComparison.Ordinal);
        Assert.Contains("tollgate-otlp-test", traces, StringComparison.Ordinal);
        Assert.Contains("gen_ai.client.token.usage", metrics, StringComparison.Ordinal);
        Assert.Contains("gen_ai.server.time_to_first_token", metrics, StringComparison.Ordinal);
        Assert.Contains("tollgate.requests", metrics, StringComparison.Ordinal);
        Assert.NotEmpty(Seen("logs"));
        foreach (var signal in new[] { traces, metrics, Seen("logs") })
        {
            Assert.DoesNotContain("PROMPT-SENTINEL", signal, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayHost.Key, signal, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayHost.UpstreamSecret, signal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithoutAnOtlpEndpoint_NothingListens()
    {
        await using var host = await GatewayHost.StartAsync(Configure);
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }
}
