using System.Buffers;
using System.Text.Json;

namespace Tollgate.Upstreams;

/// <summary>The model name an upstream expects, as the request body carries it.</summary>
public static class ModelNameToken
{
    /// <summary>The JSON string token for <paramref name="model"/>, quotes included, for splicing into bodies: computed once per deployment.</summary>
    public static byte[] Encode(string model)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(model);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
