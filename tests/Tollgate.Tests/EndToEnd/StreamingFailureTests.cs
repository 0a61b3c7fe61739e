using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Tollgate.MockUpstream;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Disconnects, stalls and dead upstreams, each with a gateway configured for the case.</summary>
public sealed class StreamingFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Chat(string model, bool stream)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hello there"}]}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        return request;
    }

    [Fact]
    public async Task ClientDisconnectsMidStream_UpstreamIsCancelled_AndPartialUsageRecorded()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Http.SendAsync(Chat("gpt-slow", stream: true), HttpCompletionOption.ResponseHeadersRead, Ct);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var stream = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (!received.ToString().Contains("tok2", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, Ct);
            Assert.True(read > 0, "stream ended early");
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        response.Dispose(); // the client goes away after three content events

        var record = await host.WaitForRecordAsync(requestId);
        Assert.Equal(RequestOutcome.ClientAborted, record.Outcome);
        Assert.Equal(UsageSource.Partial, record.Source);
        Assert.True(record.CompletionTokens > 0);
        Assert.True(record.PromptTokens > 0);

        // The upstream saw its request cancelled long before its 400 chunks (20 s) were done.
        RecordedRequest? upstream = null;
        for (var i = 0; i < 100 && upstream?.Cancelled != true; i++)
        {
            await Task.Delay(50, Ct);
            upstream = await host.UpstreamRequestAsync(requestId);
        }
        Assert.True(upstream!.Cancelled);
        Assert.False(upstream.Completed);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task FirstEventArrivesWhileUpstreamStillHoldsTheRest()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Http.SendAsync(Chat("gpt-slow", stream: true), HttpCompletionOption.ResponseHeadersRead, Ct);
        var stream = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, Ct);
        Assert.Contains("\"role\":\"assistant\"", Encoding.UTF8.GetString(buffer, 0, read), StringComparison.Ordinal);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var upstream = await host.UpstreamRequestAsync(requestId);
        Assert.False(upstream!.Completed); // 400 events at 50 ms: the upstream is nowhere near done
    }

    [Fact]
    public async Task StreamEndsForTheClientAtDone_WhileTheUpstreamStillHoldsItsResponseOpen()
    {
        // The upstream keeps its response open for 20 s after [DONE]: the client's response must end at [DONE],
        // not when the upstream finally closes, and the request is settled as completed with the reported usage.
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Http.SendAsync(Chat("gpt-linger", stream: true), HttpCompletionOption.ResponseHeadersRead, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var upstream = await host.UpstreamRequestAsync(requestId);

        Assert.False(upstream!.Completed); // the mock is still inside its 20 s after [DONE]
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(body, "data: [DONE]"));
        Assert.DoesNotContain("\"error\"", body, StringComparison.Ordinal);
        var record = await host.WaitForRecordAsync(requestId);
        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(200, record.Status);
        Assert.True(record.CompletionTokens > 0);
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    [Fact]
    public async Task UpstreamStallsPastIdleTimeout_StreamIsCutWithTimeoutError()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Tollgate:StreamIdleTimeout"] = "00:00:01");
        using var response = await host.Http.SendAsync(Chat("gpt-stallbody", stream: true), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        JsonAssert.AssertError(body, "upstream_timeout");
        var record = await host.WaitForRecordAsync(response.Headers.GetValues("x-request-id").Single());
        Assert.Equal(RequestOutcome.StreamBroken, record.Outcome);
        Assert.Contains(host.Logs.Lines, l => l.EventId.Id == 1103 && l.Message.Contains("idle timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LongTimeToFirstToken_SendsHeartbeatCommentsBeforeTheFirstEvent()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:StreamHeartbeatInterval"] = "00:00:00.200";
            s["Tollgate:Upstreams:mock:Models:gpt-late"] = "mock@stallbody=1200,chunks=2";
            GatewayHost.AddPrice(s, "gpt-late");
        });
        using var response = await host.Http.SendAsync(Chat("gpt-late", stream: true), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(": keep-alive\n\n", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamSlowToAnswer_Is504BeforeTheDeadline()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Tollgate:UpstreamResponseTimeout"] = "00:00:01");
        using var response = await host.Http.SendAsync(Chat("gpt-stall", stream: false), Ct);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "upstream_timeout");
    }

    [Fact]
    public async Task UpstreamUnreachable_Is502WithoutHostOrKey()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Upstreams:dead:BaseUrl"] = $"http://127.0.0.1:{deadPort}";
            s["Tollgate:Upstreams:dead:Secret"] = "sk-dead-SENTINELSECRET";
            s["Tollgate:Upstreams:dead:Models:gpt-dead"] = "whatever";
            GatewayHost.AddPrice(s, "gpt-dead");
        });
        using var response = await host.Http.SendAsync(Chat("gpt-dead", stream: true), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        JsonAssert.AssertError(body, "upstream_unreachable");
        Assert.DoesNotContain(deadPort.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
        Assert.DoesNotContain("SENTINEL", body, StringComparison.Ordinal);
        var record = await host.WaitForRecordAsync(response.Headers.GetValues("x-request-id").Single());
        Assert.Equal(RequestOutcome.UpstreamError, record.Outcome);
        Assert.Equal(0, record.TotalTokens);
    }

    [Fact]
    public async Task NonStreaming_UpstreamDropsMidBody_Is502()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Http.SendAsync(Chat("gpt-drop", stream: false), Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "upstream_stream_broken");
    }
}
