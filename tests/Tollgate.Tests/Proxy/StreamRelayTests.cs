using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Proxy;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Proxy;

/// <summary>The relay over recorded transcripts, cut into every read size from 1 byte up.</summary>
public sealed class StreamRelayTests
{
    private const string UsageEventStart = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"u\",\"choices\":[],";

    public static TheoryData<string, int> Transcripts()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in new[] { "stream-lf.txt", "stream-crlf.txt", "stream-cr.txt" })
        {
            foreach (var size in new[] { 1, 2, 3, 5, 7, 13, 64, 100_000 })
            {
                data.Add(file, size);
            }
        }
        return data;
    }

    private static async Task<(string Output, ProxyExchange Exchange)> RelayAsync(byte[] input, int chunkSize, bool clientWantsUsage, Exception? failAtEnd = null)
    {
        var context = new DefaultHttpContext();
        var output = new MemoryStream();
        context.Response.Body = output;
        var parsed = ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(
            "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":" + (clientWantsUsage ? "true" : "false") + "},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), out var request);
        Assert.Null(parsed);
        var exchange = new ProxyExchange(context, new UsageRecord { RequestId = "req_test", Upstream = "u" }, 0) { Request = request };
        var relay = new StreamRelay(new ProxyOptions(), TimeProvider.System, NullLogger.Instance);
        await relay.RelayAsync(exchange, new ChunkedStream(input, chunkSize, failAtEnd), CancellationToken.None);
        await context.Response.BodyWriter.FlushAsync();
        return (Encoding.UTF8.GetString(output.ToArray()), exchange);
    }

    private static string WithoutUsageEvent(string transcript, string newline)
    {
        var start = transcript.IndexOf(UsageEventStart, StringComparison.Ordinal);
        var end = transcript.IndexOf(newline + newline, start, StringComparison.Ordinal) + 2 * newline.Length;
        return transcript[..start] + transcript[end..];
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task ClientAskedForUsage_OutputIsByteIdentical_AndUsageTapped(string file, int chunkSize)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Assets", file), TestContext.Current.CancellationToken);
        var (output, exchange) = await RelayAsync(input, chunkSize, clientWantsUsage: true);

        Assert.Equal(Encoding.UTF8.GetString(input), output);
        Assert.Equal(RequestOutcome.Completed, exchange.Record.Outcome);
        var tap = exchange.Tap;
        Assert.True(tap.UsageReported);
        Assert.Equal(21, tap.PromptTokens);
        Assert.Equal(9, tap.CompletionTokens);
        Assert.Equal(4, tap.CachedTokens);
        Assert.Equal(3, tap.ReasoningTokens);
        Assert.Equal("tool_calls", tap.FinishReason);
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task ClientDidNotAskForUsage_OnlyTheUsageChunkIsDropped(string file, int chunkSize)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Assets", file), TestContext.Current.CancellationToken);
        var text = Encoding.UTF8.GetString(input);
        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : text.Contains('\r', StringComparison.Ordinal) ? "\r" : "\n";
        var (output, exchange) = await RelayAsync(input, chunkSize, clientWantsUsage: false);

        Assert.Equal(WithoutUsageEvent(text, newline), output);
        Assert.True(exchange.Tap.UsageReported);
        Assert.Equal(9, exchange.Tap.CompletionTokens);
    }

    [Fact]
    public async Task TextIsCounted_ForEstimation_IncludingReasoningAndToolArguments()
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Assets", "stream-lf.txt"), TestContext.Current.CancellationToken);
        var (_, exchange) = await RelayAsync(input, 64, clientWantsUsage: true);
        var expected = Encoding.UTF8.GetByteCount("Let me think… ") + Encoding.UTF8.GetByteCount("Grüße, ") + Encoding.UTF8.GetByteCount("世界") +
                       "lookup".Length + "{\\\"q\\\":".Length + "\\\"x\\\"}".Length;
        Assert.Equal(expected, exchange.Tap.CompletionTextBytes);
    }

    [Fact]
    public async Task UpstreamEndsWithoutDone_ClientGetsErrorEventAndNoDone()
    {
        var input = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n");
        var (output, exchange) = await RelayAsync(input, 7, clientWantsUsage: false);
        Assert.StartsWith("data: {\"choices\"", output, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_stream_broken\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", output, StringComparison.Ordinal);
        Assert.Equal(RequestOutcome.StreamBroken, exchange.Record.Outcome);
        Assert.Equal(7, exchange.Tap.CompletionTextBytes);
    }

    [Fact]
    public async Task UpstreamConnectionFails_AfterSomeEvents_ErrorEventFollowsThem()
    {
        var input = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"abc\"}}]}\n\n");
        var (output, exchange) = await RelayAsync(input, 1000, clientWantsUsage: false, new IOException("reset"));
        var events = output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, events.Length);
        Assert.Contains("upstream_stream_broken", events[1], StringComparison.Ordinal);
        Assert.Equal(RequestOutcome.StreamBroken, exchange.Record.Outcome);
    }

    [Fact]
    public async Task LastEventWithoutBlankLine_IsRelayedTerminated()
    {
        var input = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]");
        var (output, exchange) = await RelayAsync(input, 5, clientWantsUsage: false);
        Assert.EndsWith("data: [DONE]\n\n", output, StringComparison.Ordinal);
        Assert.Equal(RequestOutcome.Completed, exchange.Record.Outcome);
    }

    [Fact]
    public async Task UpstreamErrorEventInsideStream_IsRelayed_AndMarked()
    {
        var input = Encoding.UTF8.GetBytes("data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\ndata: [DONE]\n\n");
        var (output, exchange) = await RelayAsync(input, 4, clientWantsUsage: false);
        Assert.Contains("overloaded", output, StringComparison.Ordinal);
        Assert.Equal(RequestOutcome.UpstreamError, exchange.Record.Outcome);
        Assert.Equal("upstream_stream_error", exchange.Record.ErrorCode);
    }
}
