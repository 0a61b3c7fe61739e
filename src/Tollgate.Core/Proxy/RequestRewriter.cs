using System.Buffers;
using System.Text.Json;

namespace Tollgate.Proxy;

/// <summary>
/// Produces the upstream body by splicing the original bytes: the <c>model</c> value is replaced and, for
/// streams, <c>stream_options.include_usage</c> is forced on. Everything else is copied byte for byte, so
/// unknown fields, number spellings and key order reach the upstream exactly as the client sent them.
/// </summary>
public static class RequestRewriter
{
    private static ReadOnlySpan<byte> StreamOptionsMember => "\"stream_options\":{\"include_usage\":true},"u8;
    private static ReadOnlySpan<byte> StreamOptionsObject => "{\"include_usage\":true}"u8;
    private static ReadOnlySpan<byte> IncludeUsageMember => "\"include_usage\":true,"u8;
    private static ReadOnlySpan<byte> IncludeUsageOnly => "\"include_usage\":true"u8;

    /// <summary>Writes the rewritten body; <paramref name="upstreamModel"/> is the JSON string token, quotes included.</summary>
    public static void Rewrite(ReadOnlySpan<byte> body, ChatRequest request, ReadOnlySpan<byte> upstreamModel, IBufferWriter<byte> output)
    {
        Span<Edit> edits = stackalloc Edit[2];
        var count = 0;
        edits[count++] = new Edit(request.ModelValue.Start, request.ModelValue.Length, EditKind.Model);

        if (request.Stream && !request.ClientIncludeUsage)
        {
            var options = request.StreamOptionsValue;
            if (options.IsNone)
            {
                edits[count++] = new Edit(request.RootStart + 1, 0, EditKind.InsertStreamOptionsMember);
            }
            else if (!request.IncludeUsageValue.IsNone)
            {
                edits[count++] = new Edit(request.IncludeUsageValue.Start, request.IncludeUsageValue.Length, EditKind.TrueLiteral);
            }
            else if (body[options.Start] == (byte)'{')
            {
                var kind = request.StreamOptionsIsEmptyObject ? EditKind.InsertIncludeUsageOnly : EditKind.InsertIncludeUsageMember;
                edits[count++] = new Edit(options.Start + 1, 0, kind);
            }
            else
            {
                edits[count++] = new Edit(options.Start, options.Length, EditKind.StreamOptionsObject);
            }
        }

        if (count == 2 && edits[1].Offset < edits[0].Offset)
        {
            (edits[0], edits[1]) = (edits[1], edits[0]);
        }

        var position = 0;
        foreach (var edit in edits[..count])
        {
            Write(output, body[position..edit.Offset]);
            Write(output, edit.Kind switch
            {
                EditKind.Model => upstreamModel,
                EditKind.InsertStreamOptionsMember => StreamOptionsMember,
                EditKind.TrueLiteral => "true"u8,
                EditKind.InsertIncludeUsageOnly => IncludeUsageOnly,
                EditKind.InsertIncludeUsageMember => IncludeUsageMember,
                _ => StreamOptionsObject,
            });
            position = edit.Offset + edit.RemoveLength;
        }
        Write(output, body[position..]);
    }

    /// <summary>The JSON string token for a model name, computed once per route.</summary>
    public static byte[] EncodeModel(string model)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(model);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty)
        {
            output.Write(bytes);
        }
    }

    private enum EditKind : byte
    {
        Model,
        InsertStreamOptionsMember,
        TrueLiteral,
        InsertIncludeUsageOnly,
        InsertIncludeUsageMember,
        StreamOptionsObject,
    }

    private readonly record struct Edit(int Offset, int RemoveLength, EditKind Kind);
}
