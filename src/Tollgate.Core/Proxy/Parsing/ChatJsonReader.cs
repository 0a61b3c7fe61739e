using System.Runtime.CompilerServices;
using System.Text.Json;
using Tollgate.Errors;
using Tollgate.Json;

namespace Tollgate.Proxy.Parsing;

/// <summary>
/// The JSON token reader of one pass over a chat request's body, once it has been read off the wire (that is
/// <see cref="RequestBodyReader"/>'s job): the <see cref="Utf8JsonReader"/>, the duplicate-key tracker,
/// the path to the current container, and the first error. The path is a short stack of segments that is
/// turned into text (<c>messages[3].content</c>) only when an error is reported. Every method that can
/// reject returns false after recording the error; callers return false in turn.
/// </summary>
internal ref struct ChatJsonReader
{
    private const int MaxPath = 8;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = ChatRequestParser.MaxDepth };

    private Utf8JsonReader _json;
    private readonly DuplicateKeyTracker _keys;
    private PathBuffer _path;
    private int _pathLength;

    public ChatJsonReader(ReadOnlySpan<byte> json, DuplicateKeyTracker keys)
    {
        _json = new Utf8JsonReader(json, Options);
        _keys = keys;
    }

    /// <summary>The first error reported, or null.</summary>
    public ApiError? Error { get; private set; }

    public readonly bool Failed => Error is not null;

    public readonly JsonTokenType TokenType => _json.TokenType;

    /// <summary>Offset of the current token in the body.</summary>
    public readonly int TokenStart => (int)_json.TokenStartIndex;

    /// <summary>Offset just past the current token (for a container's last token, past the container).</summary>
    public readonly int Consumed => (int)_json.BytesConsumed;

    /// <summary>The current token (a scalar, quotes included) as a range of the body.</summary>
    public readonly ByteSpan TokenSpan => SpanFrom(TokenStart);

    /// <summary>The raw bytes of the current string or name; the reader always runs over one contiguous span.</summary>
    public readonly ReadOnlySpan<byte> ValueSpan => _json.ValueSpan;

    public readonly bool ValueIsEscaped => _json.ValueIsEscaped;

    public bool Read() => _json.Read();

    /// <summary>True when the current string or property name, unescaped, equals <paramref name="text"/>.</summary>
    public bool Is(ReadOnlySpan<byte> text) => _json.ValueTextEquals(text);

    public string GetString() => _json.GetString()!;

    public double GetDouble() => _json.GetDouble();

    public bool TryGetInt64(out long value) => _json.TryGetInt64(out value);

    /// <summary>The body from <paramref name="start"/> to the end of the current token.</summary>
    public readonly ByteSpan SpanFrom(int start) => new(start, (int)_json.BytesConsumed - start);

    /// <summary>True when nothing but whitespace follows the root value.</summary>
    public bool AtEnd() => !_json.Read();

    /// <summary>A reader over JSON embedded in a string value, sharing the tracker and the path.</summary>
    public readonly ChatJsonReader Embedded(byte[] json)
    {
        var inner = new ChatJsonReader(json, _keys) { _path = _path, _pathLength = _pathLength };
        return inner;
    }

    public void Push(string name) => _path[_pathLength++] = PathSegment.Property(name);

    public void Push(int index) => _path[_pathLength++] = PathSegment.Element(index);

    public void Pop() => _pathLength--;

    /// <summary>Opens the object the reader is on for duplicate checks; pair with <see cref="NextProperty"/>.</summary>
    public readonly void BeginObject() => _keys.BeginObject();

    /// <summary>
    /// Moves to the next property name of the current object. False at its end (the object closed) or on a
    /// duplicate name (the error recorded): after the loop, check <see cref="Failed"/>.
    /// </summary>
    public bool NextProperty()
    {
        _json.Read();
        if (_json.TokenType == JsonTokenType.EndObject)
        {
            _keys.EndObject();
            return false;
        }
        if (_keys.TryAdd(ref _json))
        {
            return true;
        }
        var where = FormatPath(_json.GetString());
        Fail(ApiErrors.Malformed(
            "The property '" + ApiErrors.Truncate(where, 128) + "' appears more than once; duplicate keys are ambiguous and not accepted.",
            where));
        return false;
    }

    /// <summary>Moves to the next element of the current array; false at its end.</summary>
    public bool NextElement() => _json.Read() && _json.TokenType != JsonTokenType.EndArray;

    /// <summary>
    /// Runs <paramref name="parse"/> on each element of the array the reader is on, with the path at
    /// <c>name[i]</c>. False as soon as one element fails.
    /// </summary>
    public bool Elements(string name, ValueParser parse, out int count)
    {
        Push(name);
        count = 0;
        while (NextElement())
        {
            Push(count++);
            if (!parse(ref this))
            {
                return false;
            }
            Pop();
        }
        Pop();
        return true;
    }

    /// <summary>Moves from a property name to its value and walks it with <see cref="Skip"/>.</summary>
    public bool SkipMember()
    {
        _json.Read();
        return Skip();
    }

    /// <summary>Walks a value Tollgate does not interpret, checking its objects for duplicate keys; names in it are reported bare.</summary>
    public bool Skip()
    {
        _path[_pathLength++] = PathSegment.Cut;
        var ok = SkipInPlace();
        _pathLength--;
        return ok;
    }

    /// <summary>Walks a value like <see cref="Skip"/>, reporting duplicate names under the current path.</summary>
    public bool SkipInPlace()
    {
        switch (_json.TokenType)
        {
            case JsonTokenType.StartObject:
                _keys.BeginObject();
                while (NextProperty())
                {
                    _json.Read();
                    if (!SkipInPlace())
                    {
                        return false;
                    }
                }
                return !Failed;
            case JsonTokenType.StartArray:
                while (NextElement())
                {
                    if (!SkipInPlace())
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    /// <summary>Accepts true, false or null for the member <paramref name="leaf"/> of the current path.</summary>
    public bool ExpectBoolean(string leaf) =>
        _json.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null || MalformedAt(leaf, "must be a boolean.");

    /// <summary>Accepts a string or null for the member <paramref name="leaf"/> of the current path.</summary>
    public bool ExpectStringOrNull(string leaf) =>
        _json.TokenType is JsonTokenType.String or JsonTokenType.Null || MalformedAt(leaf, "must be a string.");

    /// <summary>Records a 400 about the current path: <c>'path' {rule}</c>. Returns false.</summary>
    public bool Malformed(string rule) => MalformedAt(null, rule);

    /// <summary>Records a 400 about the member <paramref name="leaf"/> of the current path. Returns false.</summary>
    public bool MalformedAt(string? leaf, string rule)
    {
        var param = FormatPath(leaf);
        return Fail(ApiErrors.Malformed("'" + param + "' " + rule, param));
    }

    /// <summary>Records a 422 about the current path: <c>'path' {rule}</c>. Returns false.</summary>
    public bool Invalid(string rule) => InvalidAt(null, rule);

    /// <summary>Records a 422 about the member <paramref name="leaf"/> of the current path. Returns false.</summary>
    public bool InvalidAt(string? leaf, string rule)
    {
        var param = FormatPath(leaf);
        return Fail(ApiErrors.InvalidValue("'" + param + "' " + rule, param));
    }

    /// <summary>Records <paramref name="error"/> unless an earlier one is already recorded. Returns false.</summary>
    public bool Fail(ApiError error)
    {
        Error ??= error;
        return false;
    }

    private readonly string FormatPath(string? leaf) => PathSegment.Format(((ReadOnlySpan<PathSegment>)_path)[.._pathLength], leaf);

    [InlineArray(MaxPath)]
    private struct PathBuffer
    {
        private PathSegment _element;
    }
}
