using System.Text.Json;
using Tollgate.Json;

namespace Tollgate.Upstreams;

/// <summary>
/// Reads the <c>{success, code, message, data}</c> envelope some providers wrap responses in. A body
/// without <c>success</c> is taken as already unwrapped.
/// </summary>
public static class Envelope
{
    public readonly record struct Contents(bool Success, ByteSpan Data, string? Code, string? Message);

    public static Contents Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("envelope is not an object");
        }
        bool? success = null;
        var data = ByteSpan.None;
        string? code = null;
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("success"u8))
            {
                reader.Read();
                success = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    _ => null,
                };
                reader.Skip();
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (reader.TokenType is JsonTokenType.EndObject)
                {
                    data = new ByteSpan(start, (int)reader.BytesConsumed - start);
                }
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
                reader.Skip();
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (success is null)
        {
            return new Contents(true, new ByteSpan(0, body.Length), null, null);
        }
        return new Contents(success.Value && !data.IsNone, data, code, message);
    }
}
