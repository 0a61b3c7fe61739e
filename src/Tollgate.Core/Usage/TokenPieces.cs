using System.Globalization;

namespace Tollgate.Usage;

/// <summary>
/// Cuts text into pieces for a tiktoken encoding, so that no pre-token is ever longer than <see cref="MaxRunChars"/>
/// (byte-pair merging costs about the square of a pre-token's length) and no piece longer than
/// <see cref="MaxPieceChars"/>. Pieces end where the o200k and cl100k pre-tokenizers end a pre-token anyway: before
/// the last space of a run of spaces followed by a word, after a line break followed by a word, and between a letter
/// or digit and the punctuation after it. Only a run of more than <see cref="MaxRunChars"/> characters with no such
/// place in it (one repeated character, a long run of spaces, letters without a break) is cut where it reaches the
/// limit, which may add a token at each cut. Ordinary text counts exactly as it would in one piece.
/// </summary>
internal ref struct TokenPieces(ReadOnlySpan<char> text)
{
    /// <summary>The longest run of spaces or of non-space characters handed to the tokenizer uncut.</summary>
    public const int MaxRunChars = 128;

    /// <summary>The longest piece handed to the tokenizer at once.</summary>
    public const int MaxPieceChars = 4096;

    private readonly ReadOnlySpan<char> _text = text;
    private int _start;

    public bool MoveNext(out ReadOnlySpan<char> piece)
    {
        if (_start >= _text.Length)
        {
            piece = default;
            return false;
        }
        var end = NextCut(_text, _start);
        piece = _text[_start..end];
        _start = end;
        return true;
    }

    /// <summary>Where the piece that starts at <paramref name="start"/> ends: always past it, so every call makes progress.</summary>
    internal static int NextCut(ReadOnlySpan<char> text, int start)
    {
        var limit = Math.Min(text.Length, start + MaxPieceChars);
        var safe = -1;
        var runStart = start;
        var runIsSpace = char.IsWhiteSpace(text[start]);
        for (var i = start + 1; i < limit; i++)
        {
            var space = char.IsWhiteSpace(text[i]);
            if (space != runIsSpace)
            {
                runStart = i;
                runIsSpace = space;
            }
            if (IsSafeCut(text, i))
            {
                safe = i;
            }
            else if (i - runStart >= MaxRunChars)
            {
                return safe > runStart ? safe : HardCut(text, i);
            }
        }
        if (limit == text.Length)
        {
            return limit;
        }
        return safe > start ? safe : HardCut(text, limit);
    }

    /// <summary><paramref name="position"/>, or one before it when it would split a surrogate pair.</summary>
    internal static int AlignStart(ReadOnlySpan<char> text, int position) =>
        position > 0 && position < text.Length && char.IsLowSurrogate(text[position]) && char.IsHighSurrogate(text[position - 1]) ? position - 1 : position;

    private static int HardCut(ReadOnlySpan<char> text, int position) => AlignStart(text, position);

    /// <summary>True when both encodings' pre-tokenizers end a pre-token between <c>text[i - 1]</c> and <c>text[i]</c>.</summary>
    private static bool IsSafeCut(ReadOnlySpan<char> text, int i)
    {
        var previous = text[i - 1];
        var c = text[i];
        if (char.IsWhiteSpace(c))
        {
            // The last space before a word starts that word's pre-token (" word"); "\s+(?!\S)" leaves it out of the run.
            return c is not ('\r' or '\n') && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1]);
        }
        if (previous is '\r' or '\n')
        {
            // Line breaks end their run; only punctuation's trailing "[\r\n/]*" could reach on, to a '/'.
            return c != '/';
        }
        // A letter or digit, then punctuation or a symbol: the word or number ends, the punctuation starts the next pre-token
        // (an apostrophe may instead be a contraction's, "'s"; surrogates and marks are left alone).
        return c != '\'' && IsLetterOrNumber(previous) && !IsWordPart(c);
    }

    private static bool IsLetterOrNumber(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
            or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
        _ => false,
    };

    private static bool IsWordPart(char c) => IsLetterOrNumber(c) || CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned => true,
        _ => false,
    };
}
