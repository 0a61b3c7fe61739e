using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// Bodies that go wrong on the wire, sent on raw sockets to the real Kestrel: what the server itself refuses while the
/// gateway reads (too slow for its minimum data rate, broken framing, a reset) is the request's fault: a 4xx with an
/// OpenAI error, a Rejected (or ClientAborted) record, and no gateway-fault log.
/// </summary>
public sealed class RequestBodyTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Json = """{"model":"gpt-test","messages":[{"role":"user","content":"a body sent far too slowly"}]}""";

    /// <summary>
    /// The gateway with Kestrel's minimum body data rate (240 B/s) after a 2 s grace instead of 5 s, and Tollgate's own
    /// body timeout far off, so a drip meets Kestrel's limit first, as it does in production.
    /// </summary>
    private Task<GatewayHost> StartAsync(bool admin = false) => GatewayHost.StartAsync(
        s => s["Tollgate:RequestBodyTimeout"] = "00:05:00",
        admin ? azurite.ConnectionString : null, admin ? azurite.UniquePrefix() : null,
        services => services.Configure<KestrelServerOptions>(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(2))));

    /// <summary>The other way round: no minimum data rate in Kestrel, Tollgate's own body timeout short.</summary>
    private static Task<GatewayHost> StartWithOwnTimeoutAsync() => GatewayHost.StartAsync(
        s => s["Tollgate:RequestBodyTimeout"] = "00:00:01.500",
        services: services => services.Configure<KestrelServerOptions>(k => k.Limits.MinRequestBodyDataRate = null));

    private static string ChatHead(string framing) =>
        RawHttpConnection.Head("v1/chat/completions", "Authorization: Bearer " + GatewayHost.Key, "Content-Type: application/json", framing);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SlowDripBody_Is408WithOpenAiError_RecordedRejected_NoGatewayFault(bool kestrelLimit)
    {
        await using var host = await (kestrelLimit ? StartAsync() : StartWithOwnTimeoutAsync());
        await using var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct);
        var body = Encoding.UTF8.GetBytes(Json);
        await connection.SendAsync(ChatHead($"Content-Length: {body.Length}"), Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var drip = connection.DripAsync(body, TimeSpan.FromMilliseconds(100), stop.Token);

        var response = await connection.ReadResponseAsync(Ct);
        await stop.CancelAsync();
        Assert.True(await drip < body.Length, "the whole body was sent before the answer");

        await AssertRefusedAsync(host, response, 408, "request_timeout");
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked", "zz\r\n{}\r\n0\r\n\r\n")] // not a chunk size
    [InlineData("Transfer-Encoding: chunked", "2\r\n{}XX0\r\n\r\n")] // no CRLF after the chunk
    public async Task BrokenChunkedEncoding_Is400WithOpenAiError_RecordedRejected(string framing, string body)
    {
        await using var host = await StartAsync();
        await using var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct);
        await connection.SendAsync(ChatHead(framing) + body, Ct);

        var response = await connection.ReadResponseAsync(Ct);

        await AssertRefusedAsync(host, response, 400, "invalid_request");
    }

    [Fact]
    public async Task BodyEndingBeforeItsContentLength_IsNoGatewayFault()
    {
        await using var host = await StartAsync();
        var record = await SendPartOfBodyThenAsync(host, async connection =>
        {
            connection.ShutdownSend();
            await connection.ReadToEndAsync(Ct);
        });
        // Kestrel takes the client's FIN for the connection closing: its body read ends early (400) or it aborts.
        Assert.True(record.Outcome is RequestOutcome.Rejected or RequestOutcome.ClientAborted, $"outcome {record.Outcome}, status {record.Status}");
        AssertNoGatewayFault(host);
    }

    [Fact]
    public async Task ResetMidBody_IsRecordedClientAborted_NoGatewayFault()
    {
        await using var host = await StartAsync();
        var record = await SendPartOfBodyThenAsync(host, connection =>
        {
            connection.Reset();
            return Task.CompletedTask;
        });
        Assert.Equal(RequestOutcome.ClientAborted, record.Outcome);
        AssertNoGatewayFault(host);
    }

    /// <summary>Sends a chat request with part of its body, lets the gateway wait for the rest, then ends the connection with <paramref name="end"/>; returns the request's record.</summary>
    private static async Task<UsageRecord> SendPartOfBodyThenAsync(GatewayHost host, Func<RawHttpConnection, Task> end)
    {
        await using (var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct))
        {
            await connection.SendAsync(ChatHead("Content-Length: 5000") + Json, Ct);
            await Task.Delay(300, Ct);
            await end(connection);
        }
        for (var i = 0; i < 200 && host.Usage.Snapshot().Count == 0; i++)
        {
            await Task.Delay(50, Ct);
        }
        return Assert.Single(host.Usage.Snapshot());
    }

    [Fact]
    public async Task ChunkedBodyOverCap_Is413ReadWhileStillSending_TheRestDrained()
    {
        await using var host = await StartAsync();
        await using var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct);
        var chunk = Encoding.ASCII.GetBytes("10000\r\n" + new string('a', 0x10000) + "\r\n");
        var body = Enumerable.Repeat(chunk, 48).SelectMany(c => c).Concat("0\r\n\r\n"u8.ToArray()).ToArray(); // 3 MiB against a 64 KiB cap
        await connection.SendAsync(ChatHead("Transfer-Encoding: chunked"), Ct);
        var upload = connection.SendAsync(body, Ct);

        var response = await connection.ReadResponseAsync(Ct);
        await upload; // drained after the answer: the upload completes instead of failing with a reset

        await AssertRefusedAsync(host, response, 413, "request_too_large");
    }

    [Fact]
    public async Task Admin_SlowDripBody_Is408WithOpenAiError()
    {
        await using var host = await StartAsync(admin: true);
        await using var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct);
        var body = Encoding.UTF8.GetBytes("""{"owner":"team-slow","name":"a key whose body is sent far too slowly"}""");
        await connection.SendAsync(RawHttpConnection.Head("manage/keys", "Authorization: Bearer " + GatewayHost.AdminKey, "Content-Type: application/json",
            $"Content-Length: {body.Length}"), Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var drip = connection.DripAsync(body, TimeSpan.FromMilliseconds(100), stop.Token);

        var response = await connection.ReadResponseAsync(Ct);
        await stop.CancelAsync();
        await drip;

        Assert.Equal(408, response.Status);
        JsonAssert.AssertError(response.Body, "request_timeout");
        AssertNoGatewayFault(host);
    }

    [Fact]
    public async Task Admin_BodyOverItsCap_Is413WithOpenAiError_ReadWhileStillSending()
    {
        await using var host = await StartAsync(admin: true);
        await using var connection = await RawHttpConnection.ConnectAsync(host.BaseUri, Ct);
        var body = Encoding.UTF8.GetBytes("{\"owner\":\"team-big\",\"name\":\"" + new string('n', 3 * 1024 * 1024) + "\"}");
        await connection.SendAsync(RawHttpConnection.Head("manage/keys", "Authorization: Bearer " + GatewayHost.AdminKey, "Content-Type: application/json",
            $"Content-Length: {body.Length}"), Ct);
        var upload = connection.SendAsync(body, Ct);

        var response = await connection.ReadResponseAsync(Ct);
        await upload; // drained by the server: the upload completes instead of failing with a reset

        Assert.Equal(413, response.Status);
        JsonAssert.AssertError(response.Body, "request_too_large");
        AssertNoGatewayFault(host);
    }

    /// <summary>
    /// A chat request refused for its body: the status with an OpenAI error, the connection closing after it, a Rejected
    /// record with that status, and no gateway fault.
    /// </summary>
    private static async Task AssertRefusedAsync(GatewayHost host, RawHttpResponse response, int status, string code)
    {
        Assert.Equal(status, response.Status);
        JsonAssert.AssertError(response.Body, code);
        Assert.Equal("close", response.Headers["connection"]);
        var record = await host.WaitForRecordAsync(response.Headers["x-request-id"]);
        Assert.Equal(RequestOutcome.Rejected, record.Outcome);
        Assert.Equal(status, record.Status);
        AssertNoGatewayFault(host);
    }

    /// <summary>
    /// Nothing logged as a fault of the gateway: no EventId 1900, nothing at Error or above from any category, and no
    /// warning of the gateway's with an exception (a stack trace) attached.
    /// </summary>
    private static void AssertNoGatewayFault(GatewayHost host)
    {
        var lines = host.Logs.Lines;
        Assert.DoesNotContain(lines, l => l.EventId.Id == 1900 && l.Category.StartsWith("Tollgate", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Level >= LogLevel.Error);
        Assert.DoesNotContain(lines, l => l.Level >= LogLevel.Warning && l.Category.StartsWith("Tollgate", StringComparison.Ordinal) && l.Message.Contains(" | ", StringComparison.Ordinal));
    }
}
