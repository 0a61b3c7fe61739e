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
public sealed class TokenCounter
{
    /// <summary>OpenAI's chat format: every message costs three tokens beyond its text, and the reply is primed with three more.</summary>
    public const int TokensPerMessage = 3;
    public const int ReplyPriming = 3;

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

    public long Count(ReadOnlySpan<char> text, string model) =>
        text.IsEmpty ? 0 : TokenizerFor(EncodingFor(model)).CountTokens(text);

    private static Tokenizer TokenizerFor(string encoding) =>
        Loaded.GetOrAdd(encoding, static name => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(name))).Value;
}
