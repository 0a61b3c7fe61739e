using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Tollgate.Errors;
using Tollgate.Json;

namespace Tollgate.Proxy;

/// <summary>
/// Reads a request body into pooled memory, never past <c>cap + 1</c> bytes, within a deadline. The
/// declared Content-Length is checked first so an honest oversized request is refused without reading.
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

    /// <summary>Reads the body into <paramref name="destination"/>; returns the error to answer, or null.</summary>
    /// <param name="deadline">Armed here with <paramref name="timeout"/>; linked to <paramref name="cancellationToken"/>.</param>
    public static async ValueTask<ApiError?> ReadAsync(HttpRequest request, PooledBufferWriter destination, long cap, CancellationTokenSource deadline, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > cap)
        {
            return ApiErrors.BodyTooLarge(cap);
        }

        deadline.CancelAfter(timeout);
        var body = request.Body;
        if (request.ContentLength is { } length)
        {
            destination.Ensure((int)Math.Min(length + 1, cap + 1));
        }
        try
        {
            while (true)
            {
                var memory = destination.GetMemory(4096);
                var room = (int)Math.Min(memory.Length, cap + 1 - destination.WrittenCount);
                var read = await body.ReadAsync(memory[..room], deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return null;
                }
                destination.Advance(read);
                if (destination.WrittenCount > cap)
                {
                    return ApiErrors.BodyTooLarge(cap);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiErrors.BodyReadTimeout;
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiErrors.BodyTooLarge(cap);
        }
    }
}
