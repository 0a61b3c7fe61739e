using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.ML.Tokenizers;

namespace Tollgate.Usage;

/// <summary>
/// Counts tokens with the model family's tiktoken encoding (Microsoft.ML.Tokenizers) when the upstream reports
/// no usage: the prompt from the request body, the completion from the text the gateway relayed. Each encoding
/// is loaded once, on first use (the vocabularies ship in the Data.O200kBase / Data.Cl100kBase packages).
/// </summary>
/// <remarks>
/// Client text is hostile: tiktoken's byte-pair merge costs about the square of a pre-token's length, so one long
/// run of a single character would hold a thread for minutes. The text is therefore handed to the tokenizer in
/// pieces (<see cref="TokenPieces"/>): cut where the encoding's own pre-tokenizer cuts, and inside a run of more
/// than <see cref="TokenPieces.MaxRunChars"/> characters with no such place, cut hard. Counting costs time linear
/// in the text, and ordinary text counts exactly as one call to the tokenizer would. Past
/// <see cref="MaxExactChars"/> characters the count is sampled (<see cref="Count"/>), so its cost is capped too.
/// </remarks>
public sealed class TokenCounter
{
    /// <summary>OpenAI's chat format: every message costs three tokens beyond its text, and the reply is primed with three more.</summary>
    public const int TokensPerMessage = 3;
    public const int ReplyPriming = 3;

    /// <summary>Texts up to this many characters are counted exactly; longer ones are sampled.</summary>
    public const int MaxExactChars = 1024 * 1024;

    /// <summary>Windows counted exactly in a longer text, evenly spaced from its start; together they are <see cref="MaxExactChars"/> long.</summary>
    public const int SampleWindows = 16;

    /// <summary>The fewest tokens a sampled text is taken to hold per UTF-8 byte, inverted: a quarter of its bytes.</summary>
    public const int MinTokensBytesDivisor = 4;

    /// <summary>
    /// Request bodies larger than this are counted on the thread pool, not on the thread that serves the request
    /// (on the standalone host, a socket thread that serves other connections too). Smaller ones count inline.
    /// </summary>
    public const int InlineCountBytes = 32 * 1024;

    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Loaded = new(StringComparer.Ordinal);

    private readonly TokenizerOptions _options;
    private readonly ConcurrentDictionary<string, string> _encodingOfModel = new(StringComparer.Ordinal);

    public TokenCounter(IOptions<TokenizerOptions> options)
    {
        _options = options.Value;
    }

    /// <summary>The encoding that counts <paramref name="model"/>'s tokens: the longest matching prefix, else the default.</summary>
    public string EncodingFor(string model) =>
        _encodingOfModel.TryGetValue(model, out var known) ? known
        : _encodingOfModel.Count < 1024 ? _encodingOfModel.GetOrAdd(model, Match, _options)
        : Match(model, _options);

    private static string Match(string name, TokenizerOptions options)
    {
        var best = -1;
        var encoding = options.Default;
        foreach (var (prefix, value) in options.Models)
        {
            if (prefix.Length > best && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                best = prefix.Length;
                encoding = value;
            }
        }
        return encoding;
    }

    /// <summary>
    /// <see cref="CountPrompt"/> off the caller's thread when the body is larger than <see cref="InlineCountBytes"/>;
    /// <paramref name="requestBody"/> must stay unchanged until the task completes.
    /// </summary>
    public ValueTask<long> CountPromptAsync(ReadOnlyMemory<byte> requestBody, string model) =>
        requestBody.Length <= InlineCountBytes
            ? ValueTask.FromResult(CountPrompt(requestBody.Span, model))
            : new ValueTask<long>(Task.Run(() => CountPrompt(requestBody.Span, model)));

    /// <summary>Prompt tokens of a chat-completion body: message texts and tool definitions, plus the chat format's overhead.</summary>
    public long CountPrompt(ReadOnlySpan<byte> requestBody, string model)
    {
        // One text buffer per thread, reused: budgets count every prompt before forwarding. Very large ones are not kept.
        var text = _promptText ??= new ArrayBufferWriter<char>(1024);
        text.ResetWrittenCount();
        var messages = PromptText.Extract(requestBody, text);
        var count = Count(text.WrittenSpan, model) + (long)messages * TokensPerMessage + ReplyPriming;
        if (text.Capacity > MaxKeptPromptChars)
        {
            _promptText = null;
        }
        return count;
    }

    private const int MaxKeptPromptChars = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<char>? _promptText;

    /// <summary>
    /// Completion tokens of generated text (UTF-8). When only the first part of a long text was kept
    /// (<paramref name="totalBytes"/> is larger), the count is scaled up to the whole.
    /// </summary>
    public long CountCompletion(ReadOnlySpan<byte> keptText, long totalBytes, string model)
    {
        if (keptText.IsEmpty)
        {
            return totalBytes <= 0 ? 0 : (totalBytes + 3) / 4;
        }
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(keptText.Length));
        try
        {
            var length = Encoding.UTF8.GetChars(keptText, chars);
            var tokens = Count(chars.AsSpan(0, length), model);
            return totalBytes > keptText.Length ? (long)Math.Ceiling(tokens * ((double)totalBytes / keptText.Length)) : tokens;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>
    /// Tokens of <paramref name="text"/>. Up to <see cref="MaxExactChars"/> characters, exact (as the tokenizer counts
    /// the pieces). Longer texts are sampled: <see cref="SampleWindows"/> evenly spaced windows, together
    /// <see cref="MaxExactChars"/> long, are counted exactly and their rate is scaled to the whole length, but never to
    /// fewer than a quarter of the text's UTF-8 bytes (so cheap text in the windows cannot hide dense text between them).
    /// </summary>
    public long Count(ReadOnlySpan<char> text, string model)
    {
        if (text.IsEmpty)
        {
            return 0;
        }
        var tokenizer = TokenizerFor(EncodingFor(model));
        if (text.Length <= MaxExactChars)
        {
            return CountExactly(tokenizer, text);
        }
        const int window = MaxExactChars / SampleWindows;
        long sampledTokens = 0, sampledChars = 0;
        for (var i = 0; i < SampleWindows; i++)
        {
            var start = TokenPieces.AlignStart(text, (int)((long)text.Length * i / SampleWindows));
            var end = TokenPieces.AlignStart(text, Math.Min(text.Length, start + window));
            sampledTokens += CountExactly(tokenizer, text[start..end]);
            sampledChars += end - start;
        }
        var scaled = (long)Math.Ceiling((double)sampledTokens * text.Length / Math.Max(1, sampledChars));
        var floor = (Encoding.UTF8.GetByteCount(text) + MinTokensBytesDivisor - 1) / MinTokensBytesDivisor;
        return Math.Max(scaled, floor);
    }

    private static long CountExactly(Tokenizer tokenizer, ReadOnlySpan<char> text)
    {
        long tokens = 0;
        var pieces = new TokenPieces(text);
        while (pieces.MoveNext(out var piece))
        {
            tokens += tokenizer.CountTokens(piece);
        }
        return tokens;
    }

    private static Tokenizer TokenizerFor(string encoding) =>
        Loaded.GetOrAdd(encoding, static name => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(name))).Value;
}
