using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Tollgate.Errors;
using Tollgate.Json;

namespace Tollgate.Proxy;

/// <summary>
/// Reads a request body into pooled memory, never past <c>cap + 1</c> bytes, within a deadline. The
/// declared Content-Length is checked first so an honest oversized request is refused without reading.
/// Whatever the client's bytes cause while the body is read (too large, too slow, broken framing) becomes a 4xx
/// answer, never an exception; a refused body's rest can be drained after the answer (<see cref="DrainAsync"/>).
/// </summary>
public static class RequestBodyReader
{
    public static bool IsJsonContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true; // many clients omit it for JSON; the body is parsed strictly either way
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }
        var type = media.MediaType;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Lets the server read at least <paramref name="bytes"/> of this request's body (its own limit is raised, never
    /// lowered), so a refused body can still be drained. Only possible before the body is read.
    /// </summary>
    public static void AllowBodyOf(HttpRequest request, long bytes)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false, MaxRequestBodySize: { } limit } feature && limit < bytes)
        {
            feature.MaxRequestBodySize = bytes;
        }
    }

    /// <summary>
    /// Reads the body into <paramref name="destination"/>; returns the error to answer, or null. Every error closes the
    /// connection after the answer (<c>Connection: close</c>): the rest of that body is not read as a request. The
    /// server's own refusals are answered the same way as Tollgate's: too large 413, too slow (Kestrel's minimum data
    /// rate) 408, broken framing (bad chunked encoding, a body cut short) 400. A failing connection is not an answer:
    /// the client is gone: the connection is aborted and the <see cref="IOException"/> or
    /// <see cref="OperationCanceledException"/> propagates.
    /// </summary>
    /// <param name="deadline">Armed here with <paramref name="timeout"/>; linked to <paramref name="cancellationToken"/>.</param>
    public static async ValueTask<ApiError?> ReadAsync(HttpRequest request, PooledBufferWriter destination, long cap, CancellationTokenSource deadline, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > cap)
        {
            return Refuse(request, ApiErrors.BodyTooLarge(cap));
        }

        deadline.CancelAfter(timeout);
        if (request.ContentLength is { } length)
        {
            destination.Ensure((int)Math.Min(length + 1, cap + 1));
        }
        // The deadline ends a pending read by cancelling it (the read then returns), not through a token: a read that
        // throws on its token leaves Kestrel's body reader mid-read, and the server's own drain after the answer fails.
        var reader = request.BodyReader;
        using var registration = deadline.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), reader);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    reader.AdvanceTo(buffer.Start);
                    cancellationToken.ThrowIfCancellationRequested(); // the client went away, not too slow
                    return Refuse(request, ApiErrors.BodyReadTimeout);
                }
                var taken = Math.Min(buffer.Length, cap + 1 - destination.WrittenCount);
                foreach (var segment in buffer.Slice(0, taken))
                {
                    destination.Write(segment.Span);
                }
                reader.AdvanceTo(buffer.GetPosition(taken), buffer.End);
                if (destination.WrittenCount > cap)
                {
                    return Refuse(request, ApiErrors.BodyTooLarge(cap));
                }
                if (result.IsCompleted)
                {
                    return null;
                }
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            // The server refused the client's bytes (it logged why, at Debug): the request's fault, answered as such.
            return Refuse(request, e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ApiErrors.BodyTooLarge(cap),
                StatusCodes.Status408RequestTimeout => ApiErrors.BodyReadTimeout,
                _ => ApiErrors.BodyMalformed,
            });
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The connection failed (reset, or aborted): nobody is left to answer. Aborting it spares the server its own
            // drain of a body whose read failed midway (which it would log as an error).
            request.HttpContext.Abort();
            throw;
        }
    }

    private static ApiError Refuse(HttpRequest request, ApiError error)
    {
        request.HttpContext.Response.Headers.Connection = "close";
        return error;
    }

    /// <summary>
    /// The second half of a staged close (RFC 9112 section 9.6), after a refusal was sent: reads the rest of the body and
    /// throws it away, so a client still uploading reads the refusal instead of a reset. At most
    /// <paramref name="maxBytes"/> (and what the server allows this request) within <paramref name="timeout"/>: a body
    /// declared larger is not read at all and the server closes the connection once the answer is out; one that turns
    /// out larger, or slower, is cut off by closing the connection. Never throws; keeps nothing.
    /// </summary>
    public static async Task DrainAsync(HttpContext context, long maxBytes, TimeSpan timeout, TimeProvider time)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } serverLimit)
        {
            maxBytes = Math.Min(maxBytes, serverLimit);
        }
        if (maxBytes <= 0 || timeout <= TimeSpan.Zero || request.ContentLength > maxBytes)
        {
            CloseAfterAnswer(context);
            return;
        }

        var reader = request.BodyReader;
        try
        {
            using var deadline = new CancellationTokenSource(timeout, time);
            using var registration = deadline.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), reader);
            long drained = 0;
            while (drained <= maxBytes)
            {
                var result = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                drained += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCanceled)
                {
                    break;
                }
                if (result.IsCompleted)
                {
                    return; // All of it: the connection closes cleanly after the answer.
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Past the server's limit, too slow for its minimum rate, or gone: closed below.
        }
        // Larger or slower than the drain allows: the answer went out long before; close now rather than read on.
        context.Abort();
    }

    /// <summary>
    /// Has the connection closed once the answer is out, without reading the body: when none of it was read, by lowering
    /// the request's limit below its declared length (the server then refuses to read it after the answer and closes);
    /// otherwise by aborting.
    /// </summary>
    private static void CloseAfterAnswer(HttpContext context)
    {
        if (context.Request.ContentLength is { } length and > 0 &&
            context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = length - 1;
            return;
        }
        context.Abort();
    }
}
