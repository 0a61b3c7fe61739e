using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Errors;

/// <summary>Serialises <see cref="ApiError"/> as OpenAI's error body, to a response or into an SSE event.</summary>
public static class ApiErrorWriter
{
    public static void WriteJson(IBufferWriter<byte> output, ApiError error)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        if (error.Param is null)
        {
            writer.WriteNull("param"u8);
        }
        else
        {
            writer.WriteString("param"u8, error.Param);
        }
        writer.WriteString("code"u8, error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes the error as the whole response, with its <c>x-request-id</c> (the one the host set, or a new one).
    /// Only valid before anything else was sent.
    /// </summary>
    public static Task WriteAsync(HttpResponse response, ApiError error)
    {
        Diagnostics.RequestIdHeader.Ensure(response);
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (error.RetryAfterMilliseconds is { } retryMs)
        {
            response.Headers["retry-after-ms"] = retryMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteJson(buffer, error);
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>The error as one SSE event (<c>data: {...}\n\n</c>), for failures after the stream started.</summary>
    public static byte[] ToSseEvent(ApiError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("data: "u8);
        WriteJson(buffer, error);
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
