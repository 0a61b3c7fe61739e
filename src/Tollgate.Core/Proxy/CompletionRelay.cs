using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Upstreams;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// Relays an upstream answer that is not a stream (the twin of <see cref="StreamRelay"/>): a 2xx JSON body is read
/// whole, within <c>MaxUpstreamResponseBytes</c> and the response deadline, unwrapped from its envelope, read for
/// usage and sent with its length; an error status becomes Tollgate's own error through <see cref="UpstreamErrorMapper"/>.
/// </summary>
/// <param name="currency">The billing currency (<c>Tollgate:Billing:Currency</c>), named beside the cost header.</param>
public sealed class CompletionRelay(ProxyOptions options, TimeProvider time, ILogger logger, string currency = "USD")
{
    /// <summary>What the answer cost at the price in force, in <see cref="CostCurrencyHeader"/>; on non-streaming answers whose upstream reported usage.</summary>
    public const string CostHeader = "x-tollgate-cost";

    /// <summary>The currency of <see cref="CostHeader"/>.</summary>
    public const string CostCurrencyHeader = "x-tollgate-cost-currency";

    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>A 2xx answer: unwrap the envelope, read usage, relay the body.</summary>
    /// <param name="deadline">The upstream response deadline, which also bounds reading the body.</param>
    public async Task RelayAsync(ProxyExchange exchange, HttpResponseMessage response, CancellationToken deadline, CancellationToken aborted)
    {
        var upstream = exchange.Deployment!.Upstream;
        if (!IsJson(response.Content.Headers.ContentType))
        {
            await RejectAsync(exchange, ProxyError.UpstreamResponseNotJson, "not JSON").ConfigureAwait(false);
            return;
        }

        using var body = new PooledBufferWriter(16 * 1024);
        ProxyError readError;
        Exception? readException;
        try
        {
            readError = await ReadBodyAsync(exchange, response, body, deadline).ConfigureAwait(false);
            // Set after the read, not before it: nothing more lives across the await.
            readException = null;
        }
        catch (OperationCanceledException e) when (!aborted.IsCancellationRequested)
        {
            Log.UpstreamTimeout(logger, exchange.Record.RequestId, upstream.Name, "body");
            (readError, readException) = (ProxyError.UpstreamTimeout, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !aborted.IsCancellationRequested)
        {
            Log.UpstreamStreamBroken(logger, exchange.Record.RequestId, upstream.Name, "connection lost while reading the body");
            (readError, readException) = (ProxyError.UpstreamBodyBroken, e);
        }
        if (readError != ProxyError.None)
        {
            await exchange.RejectAsync(readError, exception: readException).ConfigureAwait(false);
            return;
        }

        Envelope.Contents envelope;
        try
        {
            envelope = upstream.Envelope ? Envelope.Read(body.WrittenSpan) : new Envelope.Contents(true, new ByteSpan(0, body.WrittenCount), null, null);
        }
        catch (JsonException e)
        {
            await RejectAsync(exchange, ProxyError.UpstreamResponseInvalidJson, "invalid JSON", e).ConfigureAwait(false);
            return;
        }
        if (!envelope.Success)
        {
            Log.UpstreamFailed(logger, exchange.Record.RequestId, upstream.Name, 200);
            var mapped = UpstreamErrorMapper.Map(200, body.WrittenSpan, response.Headers.RetryAfter, upstream, time.GetUtcNow());
            await exchange.RejectAsync(ProxyError.UpstreamFailed, mapped.Status == 200 ? null : mapped).ConfigureAwait(false);
            return;
        }

        var payload = body.WrittenMemory.Slice(envelope.Data.Start, envelope.Data.Length);
        try
        {
            exchange.Tap.Inspect(payload.Span);
        }
        catch (JsonException e)
        {
            await RejectAsync(exchange, ProxyError.UpstreamResponseInvalidJson, "invalid JSON", e).ConfigureAwait(false);
            return;
        }

        if (exchange.Request!.Stream)
        {
            // Asked for a stream, got a complete JSON answer: not what the client can parse.
            await RejectAsync(exchange, ProxyError.UpstreamResponseNotStream, "JSON instead of a stream").ConfigureAwait(false);
            return;
        }

        var httpResponse = exchange.Context.Response;
        httpResponse.StatusCode = 200;
        httpResponse.ContentType = "application/json";
        httpResponse.ContentLength = payload.Length;
        exchange.ResponseStarted = true;
        exchange.Record.Status = 200;
        exchange.Record.Outcome = RequestOutcome.Completed;
        exchange.FirstEventTimestamp = time.GetTimestamp();
        if (exchange.Tap.UsageReported && exchange.Price is { } price)
        {
            // The same figures and price the usage record settles to (UsageSettlement, source Reported), so the header and
            // the statement agree to the last decimal.
            var tap = exchange.Tap;
            var cost = price.CostOf(tap.PromptTokens, tap.CachedTokens, tap.CompletionTokens, tap.ReasoningTokens, reachedModel: true);
            httpResponse.Headers[CostHeader] = cost.ToString(System.Globalization.CultureInfo.InvariantCulture);
            httpResponse.Headers[CostCurrencyHeader] = currency;
        }
        await httpResponse.Body.WriteAsync(payload, aborted).ConfigureAwait(false);
    }

    /// <summary>A non-2xx answer: the provider's status and explanation, mapped to Tollgate's own error.</summary>
    public async Task RelayErrorAsync(ProxyExchange exchange, HttpResponseMessage response, CancellationToken deadline)
    {
        var (error, _) = await ReadErrorAsync(exchange, response, deadline).ConfigureAwait(false);
        await exchange.RejectAsync(ProxyError.UpstreamFailed, error).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads an upstream error answer (at most 64 KB) into the error Tollgate would answer with, and whether it says the
    /// provider is out of balance. Nothing is written to the client.
    /// </summary>
    public async Task<(ApiError Error, bool OutOfBalance)> ReadErrorAsync(ProxyExchange exchange, HttpResponseMessage response, CancellationToken deadline)
    {
        var upstream = exchange.Deployment!.Upstream;
        var status = (int)response.StatusCode;
        Log.UpstreamFailed(logger, exchange.Record.RequestId, upstream.Name, status);
        using var body = new PooledBufferWriter(4096);
        try
        {
            await ReadUpToAsync(response, body, MaxErrorBodyBytes, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !exchange.Context.RequestAborted.IsCancellationRequested)
        {
            // The status alone decides the answer; the body only adds the provider's explanation.
        }
        var outOfBalance = UpstreamErrorMapper.IsOutOfBalance(status, body.WrittenSpan);
        var error = outOfBalance
            ? ApiErrors.UpstreamUnavailable("The upstream provider cannot serve requests right now.")
            : UpstreamErrorMapper.Map(status, body.WrittenSpan, response.Headers.RetryAfter, upstream, time.GetUtcNow());
        return (error, outOfBalance);
    }

    private Task RejectAsync(ProxyExchange exchange, ProxyError error, string reason, Exception? exception = null)
    {
        Log.UpstreamBadResponse(logger, exchange.Record.RequestId, exchange.Deployment!.Upstream.Name, reason);
        return exchange.RejectAsync(error, exception: exception);
    }

    /// <summary>
    /// Reads the whole body up to <c>MaxUpstreamResponseBytes</c>; <see cref="ProxyError.UpstreamResponseTooLarge"/> when it
    /// is longer, else none. A read that fails throws (its caller records why).
    /// </summary>
    private async ValueTask<ProxyError> ReadBodyAsync(ProxyExchange exchange, HttpResponseMessage response, PooledBufferWriter body, CancellationToken deadline)
    {
        var cap = options.MaxUpstreamResponseBytes;
        if ((response.Content.Headers.ContentLength is { } declared && declared > cap)
            || !await ReadUpToAsync(response, body, cap, deadline).ConfigureAwait(false))
        {
            Log.UpstreamBadResponse(logger, exchange.Record.RequestId, exchange.Deployment!.Upstream.Name, "body over MaxUpstreamResponseBytes");
            return ProxyError.UpstreamResponseTooLarge;
        }
        return ProxyError.None;
    }

    /// <summary>Reads at most <paramref name="cap"/> bytes; false when the body is longer.</summary>
    private static async ValueTask<bool> ReadUpToAsync(HttpResponseMessage response, PooledBufferWriter body, long cap, CancellationToken cancellationToken)
    {
        await using var content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var memory = body.GetMemory(8192);
            var room = (int)Math.Min(memory.Length, cap + 1 - body.WrittenCount);
            var read = await content.ReadAsync(memory[..room], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return true;
            }
            body.Advance(read);
            if (body.WrittenCount > cap)
            {
                return false;
            }
        }
    }

    private static bool IsJson(MediaTypeHeaderValue? contentType) =>
        contentType?.MediaType is { } media &&
        (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
