using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;
using Tollgate.Json;
using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Upstreams;

/// <summary>
/// One upstream's request adaptation, compiled once from its <see cref="UpstreamAdaptationOptions"/>: top-level fields
/// renamed or dropped, top-level string values replaced, fixed headers added. Immutable and shared by every request.
/// </summary>
/// <remarks>
/// <para>
/// The body is the one the gateway is about to send: a JSON object with unique keys (the request parser guarantees
/// both). The adaptation is described as <see cref="BodyEdit"/>s, found from where the top-level members it
/// names sit (<see cref="TopLevelMember"/>): on the request path the parser records those during its own pass over the
/// body (for the <see cref="TopLevelFields"/> of every upstream), so only those members' keys and string values
/// are looked at again; alone, <see cref="CollectEdits(ReadOnlySpan{byte}, Span{BodyEdit})"/> finds them with a pass of
/// its own. <see cref="BodyEdits.Apply"/> then copies the body with those splices. Bytes no rule touches are copied verbatim:
/// number spellings, whitespace, key order and nested content reach the upstream exactly as the client sent them.
/// </para>
/// <para>
/// Names are compared unescaped: a key written <c>"max\u005ftokens"</c> is <c>max_tokens</c>. A renamed key is written
/// plain; a replaced value is written as a JSON string with the default escaping. When the body already has a rename's
/// target (a client sending both <c>max_tokens</c> and <c>max_completion_tokens</c>), the client's explicit target wins
/// and the member that would have been renamed is dropped, so the upstream never sees a duplicate key.
/// </para>
/// <para>
/// A dropped member takes one comma with it: its following one, or, when it is the last member, the one before it (all
/// the trailing dropped members go as one range). The output is valid JSON whichever members go, the only one included.
/// </para>
/// <para>
/// To merge with other splices (the request path's own <c>model</c> and <c>stream_options</c> splices), collect
/// these edits into a <see cref="BodyEditBuffer"/>, add the others, <see cref="BodyEdits.Sort"/> and
/// <see cref="BodyEdits.Apply"/>: one copy of the body. The edits never touch <c>model</c>, <c>messages</c> or
/// <c>stream</c>, and touch <c>stream_options</c> only to drop it whole (check <see cref="Drops"/> before splicing into it).
/// </para>
/// </remarks>
public sealed class RequestAdaptation
{
    /// <summary>The most edits any adaptation makes in one body (a renamed field whose value is also replaced makes two).</summary>
    public const int MaxEditCount = 2 * AdaptationValidator.MaxFields;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = JsonLimits.MaxRequestDepth };

    private readonly FieldRule[] _fields;

    /// <summary>The rules' names, in the order of <see cref="_fields"/>.</summary>
    private readonly FieldNameIndex _names;

    private RequestAdaptation(FieldRule[] fields, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _fields = fields;
        _names = new FieldNameIndex(fields.Select(field => field.Name).ToArray());
        Headers = headers;
        foreach (var field in fields)
        {
            MaxEdits += field.MaxEdits;
        }
    }

    /// <summary>No adaptation: bodies pass as they are, no headers are added.</summary>
    public static RequestAdaptation None { get; } = new([], ReadOnlyCollection<KeyValuePair<string, string>>.Empty);

    /// <summary>True when there is nothing to do: the request path can skip adaptation entirely.</summary>
    public bool IsEmpty => !AdaptsBody && Headers.Count == 0;

    /// <summary>True when some body rule is configured (otherwise no edits are ever collected).</summary>
    public bool AdaptsBody => _fields.Length > 0;

    /// <summary>The fixed headers to add to every request to this upstream, ordered by name.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The most edits one body can get for this adaptation (at most <see cref="MaxEditCount"/>).</summary>
    public int MaxEdits { get; }

    /// <summary>Compiles <paramref name="options"/>; <paramref name="path"/> names them in the exception.</summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="UpstreamAdaptationOptions.Validate"/>).</exception>
    public static RequestAdaptation Create(UpstreamAdaptationOptions options, string path = "Adapt")
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate(path);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }
        if (options.IsEmpty)
        {
            return None;
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        int Slot(string name)
        {
            if (!index.TryGetValue(name, out var slot))
            {
                index[name] = slot = names.Count;
                names.Add(name);
            }
            return slot;
        }
        foreach (var (from, to) in options.Rename)
        {
            Slot(from);
            Slot(to);
        }
        foreach (var name in options.Drop)
        {
            Slot(name);
        }
        foreach (var field in options.ReplaceValues.Keys)
        {
            Slot(field);
        }

        var fields = names.Select(name =>
        {
            var action = options.Rename.ContainsKey(name) ? FieldAction.Rename : options.Drop.Contains(name) ? FieldAction.Drop : FieldAction.None;
            var target = action == FieldAction.Rename ? options.Rename[name] : null;
            var replacements = options.ReplaceValues.TryGetValue(name, out var values)
                ? values.Select(pair => new ValueReplacement(Encoding.UTF8.GetBytes(pair.Key), string.IsNullOrEmpty(pair.Value) ? default : StringToken(pair.Value))).ToArray()
                : [];
            return new FieldRule(Encoding.UTF8.GetBytes(name), action, target is null ? default : Encoding.UTF8.GetBytes("\"" + target + "\""),
                target is null ? -1 : index[target], replacements);
        }).ToArray();

        var headers = options.Headers
            .OrderBy(header => header.Key, StringComparer.OrdinalIgnoreCase)
            .Select(header => KeyValuePair.Create(header.Key, header.Value!))
            .ToArray();
        return new RequestAdaptation(fields, Array.AsReadOnly(headers));
    }

    /// <summary>The UTF-8 names of the top-level fields this adaptation acts on or looks for (a rename's target).</summary>
    internal IEnumerable<byte[]> FieldNames => _fields.Select(rule => rule.Name);

    /// <summary>True when this adaptation drops the top-level field <paramref name="utf8Name"/> whatever its value.</summary>
    public bool Drops(ReadOnlySpan<byte> utf8Name)
    {
        var field = _names.IndexOf(utf8Name);
        return field >= 0 && _fields[field].Action == FieldAction.Drop;
    }

    /// <summary>Writes <paramref name="body"/> adapted to <paramref name="output"/>: one pass to find the edits, one copy.</summary>
    public void Adapt(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        var buffer = new BodyEditBuffer();
        Span<BodyEdit> edits = buffer;
        var count = CollectEdits(body, edits);
        BodyEdits.Apply(body, edits[..count], output);
    }

    /// <summary>
    /// Finds the edits that adapt <paramref name="body"/> (a JSON object with unique keys) with one forward pass over its
    /// top-level members, and writes them to <paramref name="edits"/> in order, without overlap. Returns how many.
    /// A body that is not an object gets none; should a key repeat anyway, only its first occurrence is adapted.
    /// The request path does not use this pass: the parser records the members during its own pass.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="edits"/> is shorter than <see cref="MaxEdits"/>.</exception>
    public int CollectEdits(ReadOnlySpan<byte> body, Span<BodyEdit> edits)
    {
        if (_fields.Length == 0)
        {
            return 0;
        }
        EnsureRoom(edits);
        // Each field matches at most one member: the span is bounded by the (validated, small) number of fields.
        Span<TopLevelMember> members = stackalloc TopLevelMember[_fields.Length];
        return CollectEdits(body, members[..Walk(body, members)], edits);
    }

    /// <summary>
    /// Finds the edits that adapt <paramref name="body"/> from <paramref name="members"/>: where its top-level members
    /// sit, in body order, at least every one whose name this adaptation acts on (others are passed over). That is
    /// the members the request parser recorded, when it recorded them for fields that cover this adaptation
    /// (<see cref="TopLevelFields.Covers"/>): then nothing but those members' keys and string values is read again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="edits"/> is shorter than <see cref="MaxEdits"/>.</exception>
    public int CollectEdits(ReadOnlySpan<byte> body, ReadOnlySpan<TopLevelMember> members, Span<BodyEdit> edits)
    {
        if (_fields.Length == 0)
        {
            return 0;
        }
        EnsureRoom(edits);
        Span<Touched> touched = stackalloc Touched[_fields.Length];
        Span<bool> present = stackalloc bool[_fields.Length];
        var count = 0;
        foreach (ref readonly var member in members)
        {
            var field = _names.IndexOfKey(body[member.KeyStart..member.KeyEnd]);
            if (field < 0 || present[field])
            {
                continue;
            }
            present[field] = true;
            var rule = _fields[field];
            var replacement = rule.Replacements.Length > 0 ? MatchValue(body[member.ValueStart..member.ValueEnd], rule) : -1;
            if (rule.Action != FieldAction.None || replacement >= 0)
            {
                touched[count++] = new Touched(member, field, replacement);
            }
        }
        return Resolve(touched[..count], present, edits);
    }

    /// <summary>Records where the members this adaptation names sit (first occurrences only). Returns how many.</summary>
    private int Walk(ReadOnlySpan<byte> body, Span<TopLevelMember> members)
    {
        Span<bool> present = stackalloc bool[_fields.Length];
        var count = 0;
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }
        var previousEnd = -1;
        var previousRecorded = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var keyStart = (int)reader.TokenStartIndex;
            var keyEnd = keyStart + reader.ValueSpan.Length + 2;
            if (previousRecorded)
            {
                members[count - 1] = members[count - 1] with { NextKeyStart = keyStart };
            }
            var field = _names.IndexOfKey(body[keyStart..keyEnd]);
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            reader.Skip();
            var valueEnd = (int)reader.BytesConsumed;
            previousRecorded = field >= 0 && !present[field];
            if (previousRecorded)
            {
                present[field] = true;
                members[count++] = new TopLevelMember(previousEnd, keyStart, keyEnd, valueStart, valueEnd);
            }
            previousEnd = valueEnd;
        }
        return count;
    }

    private void EnsureRoom(Span<BodyEdit> edits)
    {
        if (edits.Length < MaxEdits)
        {
            throw new ArgumentException($"Room for {MaxEdits} edits is needed.", nameof(edits));
        }
    }

    /// <summary>
    /// Turns the touched members into edits, now that the whole object has been seen (a rename's target may come after
    /// it). A dropped member goes with the comma after it; the members dropped at the end go as one range that starts at
    /// the end of the last member kept, taking its comma, or at the first key when none is kept.
    /// </summary>
    private int Resolve(Span<Touched> members, ReadOnlySpan<bool> present, Span<BodyEdit> edits)
    {
        foreach (ref var member in members)
        {
            var rule = _fields[member.Field];
            member.Dropped = rule.Action == FieldAction.Drop ||
                             (rule.Action == FieldAction.Rename && present[rule.Target]) ||
                             (member.Replacement >= 0 && rule.Replacements[member.Replacement].Drops);
        }

        var trailing = members.Length;
        if (trailing > 0 && members[trailing - 1] is { Dropped: true, At.NextKeyStart: < 0 })
        {
            trailing--;
            while (trailing > 0 && members[trailing - 1].Dropped && members[trailing - 1].At.NextKeyStart == members[trailing].At.KeyStart)
            {
                trailing--;
            }
        }

        var count = 0;
        foreach (ref readonly var member in members[..trailing])
        {
            var rule = _fields[member.Field];
            var at = member.At;
            if (member.Dropped)
            {
                edits[count++] = new BodyEdit(at.KeyStart, at.NextKeyStart - at.KeyStart, default);
                continue;
            }
            if (rule.Action == FieldAction.Rename)
            {
                edits[count++] = new BodyEdit(at.KeyStart, at.KeyEnd - at.KeyStart, rule.RenamedKey);
            }
            if (member.Replacement >= 0)
            {
                edits[count++] = new BodyEdit(at.ValueStart, at.ValueEnd - at.ValueStart, rule.Replacements[member.Replacement].To);
            }
        }
        if (trailing < members.Length)
        {
            var first = members[trailing].At;
            var start = first.PreviousEnd >= 0 ? first.PreviousEnd : first.KeyStart;
            edits[count++] = new BodyEdit(start, members[^1].At.ValueEnd - start, default);
        }
        return count;
    }

    /// <summary>The replacement whose value a string value token is, or -1 (for any other value too).</summary>
    private static int MatchValue(ReadOnlySpan<byte> token, FieldRule rule)
    {
        if (token.Length < 2 || token[0] != (byte)'"')
        {
            return -1;
        }
        var text = token[1..^1];
        if (text.IndexOf((byte)'\\') < 0)
        {
            for (var i = 0; i < rule.Replacements.Length; i++)
            {
                if (text.SequenceEqual(rule.Replacements[i].From))
                {
                    return i;
                }
            }
            return -1;
        }
        var reader = new Utf8JsonReader(token);
        reader.Read();
        try
        {
            for (var i = 0; i < rule.Replacements.Length; i++)
            {
                if (reader.ValueTextEquals(rule.Replacements[i].From))
                {
                    return i;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // An escape that spells no text (a lone surrogate, "\ud800"): it equals no configured value.
        }
        return -1;
    }

    private static byte[] StringToken(string value)
    {
        var encoded = JsonEncodedText.Encode(value).EncodedUtf8Bytes;
        var token = new byte[encoded.Length + 2];
        token[0] = token[^1] = (byte)'"';
        encoded.CopyTo(token.AsSpan(1));
        return token;
    }

    /// <summary>A member some rule acts on: where it sits, its rule, its matching replacement (or -1), and whether it goes.</summary>
    private struct Touched(TopLevelMember at, int field, int replacement)
    {
        public readonly TopLevelMember At = at;

        public readonly int Field = field;

        /// <summary>The matching <see cref="FieldRule.Replacements"/> entry, or -1.</summary>
        public readonly int Replacement = replacement;

        public bool Dropped;
    }
}
