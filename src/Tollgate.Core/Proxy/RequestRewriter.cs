using System.Buffers;
using Tollgate.Upstreams;
using Tollgate.Upstreams.Adaptation;

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

    private static readonly byte[] StreamOptionsMemberBytes = StreamOptionsMember.ToArray();
    private static readonly byte[] StreamOptionsObjectBytes = StreamOptionsObject.ToArray();
    private static readonly byte[] IncludeUsageMemberBytes = IncludeUsageMember.ToArray();
    private static readonly byte[] IncludeUsageOnlyBytes = IncludeUsageOnly.ToArray();
    private static readonly byte[] TrueBytes = "true"u8.ToArray();

    /// <summary>
    /// Writes the rewritten body for an upstream that adapts requests (<see cref="RequestAdaptation"/>): its renames,
    /// drops and replacements and Tollgate's own splices, merged into one list of edits and one copy. The edits come from
    /// the members the parser recorded when it recorded them for this adaptation's fields (the request path always
    /// does); otherwise the adaptation walks the body's top-level members itself.
    /// </summary>
    public static void Rewrite(ReadOnlySpan<byte> body, ChatRequest request, byte[] upstreamModel, IBufferWriter<byte> output, RequestAdaptation? adaptation)
    {
        if (adaptation is not { AdaptsBody: true })
        {
            Rewrite(body, request, upstreamModel, output);
            return;
        }
        var buffer = default(BodyEditBuffer);
        Span<BodyEdit> edits = buffer;
        var count = request.RecordedFields is { } recorded && recorded.Covers(adaptation)
            ? adaptation.CollectEdits(body, request.Members, edits)
            : adaptation.CollectEdits(body, edits);
        edits[count++] = new BodyEdit(request.ModelValue.Start, request.ModelValue.Length, upstreamModel);
        // An upstream that does not take stream_options has it dropped, and then gets none of Tollgate's either.
        if (request.Stream && !request.ClientIncludeUsage && !adaptation.Drops("stream_options"u8))
        {
            var options = request.StreamOptionsValue;
            edits[count++] = options.IsNone ? new BodyEdit(request.RootStart + 1, 0, StreamOptionsMemberBytes)
                : !request.IncludeUsageValue.IsNone ? new BodyEdit(request.IncludeUsageValue.Start, request.IncludeUsageValue.Length, TrueBytes)
                : body[options.Start] == (byte)'{' ? new BodyEdit(options.Start + 1, 0, request.StreamOptionsIsEmptyObject ? IncludeUsageOnlyBytes : IncludeUsageMemberBytes)
                : new BodyEdit(options.Start, options.Length, StreamOptionsObjectBytes);
        }
        BodyEdits.Sort(edits[..count]);
        BodyEdits.Apply(body, edits[..count], output);
    }

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

    /// <summary>The JSON string token for a model name (<see cref="ModelNameToken.Encode"/>), computed once per route.</summary>
    public static byte[] EncodeModel(string model) => ModelNameToken.Encode(model);

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
