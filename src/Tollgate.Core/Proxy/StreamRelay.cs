using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tollgate.Errors;
using Tollgate.Streaming;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// Relays an upstream SSE stream to the client event by event: each complete event is written as soon as it has
/// been read, and sent as soon as the upstream has nothing more at hand (the events of reads that were already
/// complete go out in one write; none waits for the upstream's next). The usage tap reads each event on the way,
/// and the usage-only chunk Tollgate asked for is dropped again when the client did not ask for it. At
/// <c>[DONE]</c> the client's response ends, its last events and the end of the body in one write, without
/// waiting for the upstream's own end. Nothing is sent until the first event (or a heartbeat) so an upstream that
/// fails at once still gets a clean JSON error.
/// </summary>
/// <param name="currency">The billing currency (<c>Tollgate:Billing:Currency</c>), named beside the cost in the usage chunk.</param>
public sealed class StreamRelay(ProxyOptions options, TimeProvider time, ILogger logger, string currency = "USD")
{
    /// <summary>
    /// The vendor extension Tollgate adds to the chunk that first reports usage: <c>"x_tollgate":{"cost":…,"currency":…}</c>,
    /// a top-level field as Groq's <c>x_groq</c> is, which OpenAI's SDKs keep as an unknown field and otherwise ignore.
    /// </summary>
    public const string CostField = "x_tollgate";

    private readonly byte[] _costSuffix = System.Text.Encoding.UTF8.GetBytes($",\"currency\":\"{currency}\"}}");

    private const int InitialBufferSize = 16 * 1024;
    /// <summary>Written and not yet sent past this, events are sent even while the upstream has more at hand.</summary>
    private const int FlushThreshold = 16 * 1024;
    private static readonly TimeSpan RearmEvery = TimeSpan.FromSeconds(1);

    private static ReadOnlySpan<byte> HeartbeatEvent => ": keep-alive\n\n"u8;

    public async Task RelayAsync(ProxyExchange exchange, Stream upstream, CancellationToken aborted)
    {
        var response = exchange.Context.Response;
        var record = exchange.Record;
        var clientWantsUsage = exchange.Request!.ClientIncludeUsage;
        byte[]? buffer = null;
        ArrayBufferWriter<byte>? scratch = null;
        var start = 0;
        var end = 0;
        var unflushed = 0;
        var sawDone = false;
        var warnedMalformed = false;
        string? breakReason = null;
        Exception? broke = null;
        var idle = exchange.Deadline;
        var armedAt = long.MinValue;

        try
        {
            while (true)
            {
                // Re-arm the idle timeout at most once a second rather than on every read.
                var now = time.GetTimestamp();
                if (armedAt == long.MinValue || time.GetElapsedTime(armedAt, now) >= RearmEvery)
                {
                    idle.CancelAfter(options.StreamIdleTimeout);
                    armedAt = now;
                }

                int read;
                var pending = default(ValueTask<int>);
                try
                {
                    Memory<byte> into;
                    if (buffer is null)
                    {
                        // Nothing pending: wait for the upstream without holding a buffer (a zero-byte read),
                        // so a thousand quiet streams cost sockets, not a thousand 16 KB arrays.
                        into = Memory<byte>.Empty;
                    }
                    else
                    {
                        if (end == buffer.Length && !MakeRoom(ref buffer, ref start, ref end))
                        {
                            breakReason = "event larger than MaxSseEventBytes";
                            break;
                        }
                        into = buffer.AsMemory(end);
                    }
                    pending = exchange.ResponseStarted
                        ? upstream.ReadAsync(into, idle.Token)
                        : ReadWithHeartbeatsAsync(exchange, upstream, into, idle.Token);
                    if (unflushed > 0 && !pending.IsCompleted)
                    {
                        // Events are written as they are read, but sent only when the upstream has nothing more at
                        // hand: the events of every read that was already complete go out in one write, and no event
                        // ever waits for the upstream's next one.
                        unflushed = 0;
                        await FlushAsync(exchange, aborted).ConfigureAwait(false);
                    }
                    read = await pending.ConfigureAwait(false);
                    pending = default;
                }
                catch (OperationCanceledException e) when (!aborted.IsCancellationRequested && !exchange.ClientGone)
                {
                    breakReason = "idle timeout";
                    broke = e;
                    break;
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !aborted.IsCancellationRequested && !exchange.ClientGone)
                {
                    breakReason = "connection lost";
                    broke = e;
                    break;
                }
                finally
                {
                    Abandon(pending);
                }

                if (buffer is null)
                {
                    // The zero-byte read says bytes are there (or the end is): now read them into a buffer.
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                    continue;
                }

                var endOfStream = read == 0;
                end += read;
                while (start < end && !sawDone)
                {
                    var length = SseEventScanner.FindEventEnd(buffer.AsSpan(start, end - start), endOfStream);
                    if (length < 0)
                    {
                        break;
                    }
                    unflushed += ProcessEvent(exchange, buffer.AsSpan(start, length), ref scratch, clientWantsUsage, ref sawDone, ref warnedMalformed);
                    start += length;
                }

                if (endOfStream && start < end && !sawDone)
                {
                    // The upstream closed without ending its last event; relay it terminated.
                    var written = ProcessEvent(exchange, buffer.AsSpan(start, end - start), ref scratch, clientWantsUsage, ref sawDone, ref warnedMalformed);
                    if (written > 0)
                    {
                        response.BodyWriter.Write("\n\n"u8);
                        unflushed += written + 2;
                    }
                    start = end;
                }

                if (sawDone)
                {
                    // The client has the whole stream: its last events and the end of the response go in one write now,
                    // before the upstream's own end is read and before the request is settled.
                    await exchange.EndResponseAsync().ConfigureAwait(false);
                    break;
                }
                if (unflushed >= FlushThreshold)
                {
                    unflushed = 0;
                    await FlushAsync(exchange, aborted).ConfigureAwait(false);
                }
                if (start == end)
                {
                    start = end = 0;
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
                if (endOfStream)
                {
                    breakReason = "ended without [DONE]";
                    break;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (breakReason is null)
        {
            if (exchange.Error == ProxyError.None)
            {
                record.Outcome = RequestOutcome.Completed;
            }
            return;
        }

        Log.UpstreamStreamBroken(logger, record.RequestId, record.Upstream, breakReason);
        // Quiet for too long (the idle timeout cancelled the read), else broken; the exception, when one ended it, is kept.
        var error = exchange.Fail(broke is OperationCanceledException ? ProxyError.StreamIdleTimeout : ProxyError.StreamBroken, exception: broke);
        if (!exchange.ResponseStarted)
        {
            exchange.ResponseStarted = true;
            await ApiErrorWriter.WriteAsync(response, error).ConfigureAwait(false);
            return;
        }

        // Already streaming: an error event and no [DONE], so no client mistakes this for a clean end.
        response.BodyWriter.Write(ApiErrorWriter.ToSseEvent(error));
        await FlushAsync(exchange, aborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes room after <paramref name="end"/> in a full buffer: moves the unfinished event to the front, else doubles the
    /// buffer up to <c>MaxSseEventBytes</c>. False when one event already fills that much.
    /// </summary>
    private bool MakeRoom(ref byte[] buffer, ref int start, ref int end)
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
            return true;
        }
        if (buffer.Length >= options.MaxSseEventBytes)
        {
            return false;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxSseEventBytes));
        buffer.AsSpan(0, end).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
        return true;
    }

    /// <summary>Handles one raw event; returns the bytes written to the client (0 when it was dropped).</summary>
    private int ProcessEvent(ProxyExchange exchange, ReadOnlySpan<byte> rawEvent, ref ArrayBufferWriter<byte>? scratch, bool clientWantsUsage,
        ref bool sawDone, ref bool warnedMalformed)
    {
        var data = SseEvent.GetData(rawEvent, ref scratch, out var hasData);
        if (hasData)
        {
            if (data.SequenceEqual(SseEvent.Done))
            {
                sawDone = true;
            }
            else
            {
                var hadUsage = exchange.Tap.UsageReported;
                try
                {
                    switch (exchange.Tap.InspectChunk(data))
                    {
                        case ChunkKind.UsageOnly when !clientWantsUsage:
                            return 0;
                        case ChunkKind.Error:
                            exchange.Fail(ProxyError.StreamErrorEvent);
                            break;
                    }
                }
                catch (JsonException)
                {
                    if (!warnedMalformed)
                    {
                        warnedMalformed = true;
                        Log.MalformedStreamEvent(logger, exchange.Record.RequestId, exchange.Record.Upstream);
                    }
                }
                exchange.FirstEventTimestamp ??= time.GetTimestamp();
                if (!hadUsage && exchange.Tap.UsageReported && exchange.Price is { } price)
                {
                    return WriteWithCost(exchange, rawEvent, data, price);
                }
            }
        }

        StartResponse(exchange);
        exchange.Context.Response.BodyWriter.Write(rawEvent);
        return rawEvent.Length;
    }

    /// <summary>
    /// The chunk that first reports usage, with <see cref="CostField"/> added before its closing brace: what the request
    /// cost at the price in force, from the same figures its usage record settles to. A chunk whose data is not one line
    /// ending in <c>}</c> is relayed as it came.
    /// </summary>
    private int WriteWithCost(ProxyExchange exchange, ReadOnlySpan<byte> rawEvent, ReadOnlySpan<byte> data, Pricing.ModelPrice price)
    {
        StartResponse(exchange);
        var writer = exchange.Context.Response.BodyWriter;
        if (data.IsEmpty || data[^1] != (byte)'}' || !rawEvent.Overlaps(data, out var offset))
        {
            writer.Write(rawEvent);
            return rawEvent.Length;
        }
        var tap = exchange.Tap;
        var cost = price.CostOf(tap.PromptTokens, tap.CachedTokens, tap.CompletionTokens, tap.ReasoningTokens, reachedModel: true);
        var brace = offset + data.Length - 1;
        writer.Write(rawEvent[..brace]);
        var span = writer.GetSpan(64);
        var length = 0;
        ",\"x_tollgate\":{\"cost\":"u8.CopyTo(span);
        length += ",\"x_tollgate\":{\"cost\":"u8.Length;
        cost.TryFormat(span[length..], out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        writer.Advance(length + written);
        writer.Write(_costSuffix);
        writer.Write(rawEvent[brace..]);
        return rawEvent.Length + length + written + _costSuffix.Length;
    }

    /// <summary>Before the first event: wait for bytes, sending SSE comments so that front ends keep the connection.</summary>
    private async ValueTask<int> ReadWithHeartbeatsAsync(ProxyExchange exchange, Stream upstream, Memory<byte> memory, CancellationToken cancellationToken)
    {
        var pending = upstream.ReadAsync(memory, cancellationToken);
        if (pending.IsCompleted)
        {
            return await pending.ConfigureAwait(false);
        }
        var task = pending.AsTask();
        while (true)
        {
            try
            {
                return await task.WaitAsync(options.StreamHeartbeatInterval, time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                StartResponse(exchange);
                exchange.Context.Response.BodyWriter.Write(HeartbeatEvent);
                await FlushAsync(exchange, exchange.Context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    private static void StartResponse(ProxyExchange exchange)
    {
        if (exchange.ResponseStarted)
        {
            return;
        }
        exchange.ResponseStarted = true;
        var context = exchange.Context;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        exchange.Record.Status = StatusCodes.Status200OK;
    }

    /// <summary>
    /// A read left behind when sending to the client failed: it ends when the upstream response is disposed, and its
    /// failure is observed here so that it surfaces nowhere else.
    /// </summary>
    private static void Abandon(ValueTask<int> pending)
    {
        if (!pending.IsCompleted)
        {
            _ = pending.AsTask().ContinueWith(static task => _ = task.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static async ValueTask FlushAsync(ProxyExchange exchange, CancellationToken aborted)
    {
        var result = await exchange.Context.Response.BodyWriter.FlushAsync(aborted).ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            exchange.ClientGone = true;
            throw new OperationCanceledException("The client stopped reading the stream.", aborted);
        }
    }
}
