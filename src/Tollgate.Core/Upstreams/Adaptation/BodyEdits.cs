using System.Buffers;

namespace Tollgate.Upstreams.Adaptation;

/// <summary>Writes a body with its <see cref="BodyEdit"/>s applied: the bytes between edits are copied as they are.</summary>
public static class BodyEdits
{
    /// <summary>
    /// Orders <paramref name="edits"/> by offset; at one offset an insertion (length 0) goes before an edit that replaces
    /// bytes, and otherwise the order they were added in is kept. A few edits: an insertion sort, no allocation.
    /// </summary>
    public static void Sort(Span<BodyEdit> edits)
    {
        for (var i = 1; i < edits.Length; i++)
        {
            var edit = edits[i];
            var j = i - 1;
            while (j >= 0 && GoesAfter(edits[j], edit))
            {
                edits[j + 1] = edits[j];
                j--;
            }
            edits[j + 1] = edit;
        }
    }

    /// <summary>
    /// Writes <paramref name="body"/> with <paramref name="edits"/> applied to <paramref name="output"/> in one
    /// buffer request. The edits must be in order (<see cref="Sort"/>), inside the body, and must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException">The edits are out of order, overlap, or reach past the body.</exception>
    public static void Apply(ReadOnlySpan<byte> body, ReadOnlySpan<BodyEdit> edits, IBufferWriter<byte> output)
    {
        var length = body.Length;
        var position = 0;
        foreach (ref readonly var edit in edits)
        {
            if (edit.Offset < position || edit.Length < 0 || edit.End > body.Length)
            {
                throw new ArgumentException("Edits must be in order, inside the body, and must not overlap.", nameof(edits));
            }
            length += edit.Replacement.Length - edit.Length;
            position = edit.End;
        }

        var destination = output.GetSpan(length);
        var written = 0;
        position = 0;
        foreach (ref readonly var edit in edits)
        {
            written += Copy(body[position..edit.Offset], destination[written..]);
            written += Copy(edit.Replacement.Span, destination[written..]);
            position = edit.End;
        }
        written += Copy(body[position..], destination[written..]);
        output.Advance(written);
    }

    private static bool GoesAfter(in BodyEdit left, in BodyEdit right) =>
        left.Offset > right.Offset || (left.Offset == right.Offset && left.Length > 0 && right.Length == 0);

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
