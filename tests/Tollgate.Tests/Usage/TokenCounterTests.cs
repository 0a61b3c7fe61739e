using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.ML.Tokenizers;
using Tollgate.Usage;

namespace Tollgate.Tests.Usage;

public sealed class TokenCounterTests
{
    private static TokenCounter Counter(TokenizerOptions? options = null) => new(Options.Create(options ?? new TokenizerOptions()));

    [Theory]
    [InlineData("gpt-4o-mini", "o200k_base")]
    [InlineData("gpt-4.1-2025-04-14", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("gpt-4-0613", "cl100k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("deepseek-v3", "o200k_base")]
    [InlineData("", "o200k_base")]
    public void Models_MapToTheirFamilysEncoding_UnknownOnesToO200k(string model, string encoding) =>
        Assert.Equal(encoding, Counter().EncodingFor(model));

    [Fact]
    public void TheMapping_IsConfigurablePerModel_LongestPrefixWins()
    {
        var options = new TokenizerOptions { Default = TokenizerOptions.Cl100kBase };
        options.Models["deepseek"] = TokenizerOptions.O200kBase;
        options.Models["deepseek-v2"] = TokenizerOptions.Cl100kBase;
        var counter = Counter(options);
        Assert.Equal("o200k_base", counter.EncodingFor("deepseek-v3"));
        Assert.Equal("cl100k_base", counter.EncodingFor("deepseek-v2-lite"));
        Assert.Equal("cl100k_base", counter.EncodingFor("mistral-large"));
    }

    [Fact]
    public void Counts_AreTheEncodingsTokens_NotAByteHeuristic()
    {
        var counter = Counter();
        // "hello" + " world" in both encodings.
        Assert.Equal(2, counter.Count("hello world", "gpt-4o"));
        Assert.Equal(2, counter.Count("hello world", "gpt-4"));
        // o200k's larger vocabulary takes fewer tokens for non-English text than cl100k.
        const string japanese = "こんにちは、世界。今日はとても良い天気ですね。東京の桜が満開です。";
        var o200k = counter.Count(japanese, "gpt-4o");
        var cl100k = counter.Count(japanese, "gpt-4");
        Assert.True(o200k < cl100k, $"o200k {o200k}, cl100k {cl100k}");
        Assert.NotEqual((Encoding.UTF8.GetByteCount(japanese) + 3) / 4, o200k);
    }

    [Fact]
    public void PromptTokens_CountMessageTextNamesToolCallsAndTools_PlusTheChatFormat()
    {
        const string body = """
            {"model":"gpt-4o","temperature":0.2,"messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","name":"ann","content":[{"type":"text","text":"Describe this"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"look","arguments":"{\"q\":\"sky\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"blue \"and\" wide"}],
             "tools":[{"type":"function","function":{"name":"look","parameters":{"type":"object"}}}]}
            """;
        var counter = Counter();
        var expectedText = "You are terse.\n" + "ann\n" + "Describe this\n"
                           + """[{"id":"c1","type":"function","function":{"name":"look","arguments":"{\"q\":\"sky\"}"}}]"""
                           + "blue \"and\" wide\n"
                           + """[{"type":"function","function":{"name":"look","parameters":{"type":"object"}}}]""";

        var tokens = counter.CountPrompt(Encoding.UTF8.GetBytes(body), "gpt-4o");

        Assert.Equal(counter.Count(expectedText, "gpt-4o") + 4 * TokenCounter.TokensPerMessage + TokenCounter.ReplyPriming, tokens);
    }

    [Fact]
    public void CompletionTokens_OfAKeptPrefix_AreScaledToTheWholeText()
    {
        var counter = Counter();
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 100)));
        var whole = counter.CountCompletion(text, text.Length, "gpt-4o");
        Assert.Equal(counter.Count(Encoding.UTF8.GetString(text), "gpt-4o"), whole);
        var fromHalf = counter.CountCompletion(text.AsSpan(0, text.Length / 2), text.Length, "gpt-4o");
        Assert.InRange(fromHalf, whole * 0.95, whole * 1.05);
        Assert.Equal(0, counter.CountCompletion([], 0, "gpt-4o"));
    }

    /// <summary>Ordinary texts, each well over one piece (4,096 characters), some with long runs that have word ends in them.</summary>
    private static readonly Dictionary<string, string> Ordinary = new()
    {
        ["prose"] = string.Concat(Enumerable.Range(0, 120).Select(i =>
            $"Paragraph {i}: the board's quarterly report -- revenue rose {i * 1.5:0.0}% (costs held); we're hiring  twice as many engineers.\n\n")),
        ["code"] = string.Concat(Enumerable.Range(0, 80).Select(i =>
            $"    public static int Method{i}(int x)\r\n    {{\r\n        // adds {i}\r\n\t\treturn x + {i} * 0x{i:X4};\r\n    }}\r\n")),
        ["minified-json"] = "[" + string.Join(",", Enumerable.Range(0, 400).Select(i => $$"""{"id":{{i}},"name":"item-{{i}}","tags":["a","b"],"price":{{i}}.99}""")) + "]",
        ["urls"] = string.Join("\n", Enumerable.Range(0, 150).Select(i => $"https://example.com/a/very/long/path/segment-{i}/index.html?query=value&page={i}#anchor")),
        ["chinese"] = string.Concat(Enumerable.Repeat("今天天气很好，我们去公园散步吧。东京的樱花已经盛开了，游客很多！", 200)),
        ["japanese"] = string.Concat(Enumerable.Repeat("こんにちは、世界。今日はとても良い天気ですね。東京の桜が満開です。", 200)),
        ["emoji"] = string.Concat(Enumerable.Repeat("Great job 🎉🎉 on the launch 🚀! Thanks 👍🏽 everyone 😀.\n", 120)),
        ["markdown-table"] = "| a | b |\n|---|---|\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"| {i} | value {i} |\n")),
        ["numbers"] = string.Join(" ", Enumerable.Range(0, 2000).Select(i => (i * 7919L).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".5")),
    };

    public static TheoryData<string, string> OrdinaryTexts()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Ordinary.Keys)
        {
            data.Add(name, "gpt-4o");
            data.Add(name, "gpt-4");
        }
        return data;
    }

    private static int Exact(string text, string model) =>
        TiktokenTokenizer.CreateForEncoding(Counter().EncodingFor(model)).CountTokens(text);

    [Theory]
    [MemberData(nameof(OrdinaryTexts))]
    public void OrdinaryText_UnderTheCap_CountsExactlyAsTheTokenizerCountsItWhole(string name, string model)
    {
        var text = Ordinary[name];
        Assert.True(text.Length > TokenPieces.MaxPieceChars);
        Assert.Equal(Exact(text, model), Counter().Count(text, model));
    }

    [Theory]
    [InlineData("one-letter")]
    [InlineData("one-cjk")]
    [InlineData("punctuation")]
    [InlineData("random-letters")]
    [InlineData("spaces")]
    [InlineData("digits")]
    public void ALongRunWithNoWordEnd_IsCutIntoBoundedPieces_AndCountsWithinAFifthOfTheTokenizer(string shape)
    {
        // 6,000 characters: the whole tokenizer is still affordable on one run (its time grows with the square of it).
        var random = new Random(7);
        var text = shape switch
        {
            "one-letter" => new string('a', 6000),
            "one-cjk" => new string('中', 6000),
            "punctuation" => string.Concat(Enumerable.Repeat("!?", 3000)),
            "random-letters" => new string([.. Enumerable.Range(0, 6000).Select(_ => (char)('a' + random.Next(26)))]),
            "spaces" => "x" + new string(' ', 6000) + "y",
            _ => new string([.. Enumerable.Range(0, 6000).Select(i => (char)('0' + (i * 7 % 10)))]),
        };
        var pieces = new TokenPieces(text);
        var longest = 0;
        while (pieces.MoveNext(out var piece))
        {
            longest = Math.Max(longest, piece.Length);
        }
        Assert.InRange(longest, 1, TokenPieces.MaxRunChars + 1);

        var exact = Exact(text, "gpt-4o");
        Assert.InRange(Counter().Count(text, "gpt-4o"), exact * 0.8, exact * 1.2 + 2);
    }

    [Fact]
    public void TextOverTheCap_IsSampled_WithinTwoPercentOfTheTokenizerForEvenText_AndNeverBelowAQuarterOfItsBytes()
    {
        var counter = Counter();
        var prose = new StringBuilder();
        for (var i = 0; prose.Length < 3 * TokenCounter.MaxExactChars; i++)
        {
            prose.Append(CultureInfo.InvariantCulture, $"Line {i}: the quick brown fox jumps over {i % 97} lazy dogs, then naps.\n");
        }
        var text = prose.ToString();
        var exact = Exact(text, "gpt-4o");
        Assert.InRange(counter.Count(text, "gpt-4o"), exact * 0.98, exact * 1.02);

        // Cheap text exactly where the windows are, dense text between them: the floor still holds.
        var chars = new char[2 * TokenCounter.MaxExactChars];
        var random = new Random(3);
        const int window = TokenCounter.MaxExactChars / TokenCounter.SampleWindows;
        for (var i = 0; i < chars.Length; i++)
        {
            var inWindow = i % (chars.Length / TokenCounter.SampleWindows) < window;
            chars[i] = inWindow ? ' ' : (char)(0x4E00 + random.Next(20000));
        }
        var adversarial = new string(chars);
        Assert.True(counter.Count(adversarial, "gpt-4o") >= Encoding.UTF8.GetByteCount(adversarial) / TokenCounter.MinTokensBytesDivisor);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a\udfffb"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","name":"\ud800","content":[{"type":"text","text":"x\udc00\ud800"}]}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","\udfff":"k","content":"after a bad key"}],"\ud800":1}""")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\"q\":\"\udfff\"}"}}]}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\u0000\b\f\n\r\t\/\\\""}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"truncated""")]
    public void PromptText_OfAnyBody_NeverThrows_AndCountsWhatItCanRead(string body)
    {
        var tokens = Counter().CountPrompt(Encoding.UTF8.GetBytes(body), "gpt-4o");
        Assert.InRange(tokens, TokenCounter.ReplyPriming, 100);
    }

    [Fact]
    public void PromptText_CountsAPairedSurrogateEscape_AsTheCharacter_AndALoneOne_AsWritten()
    {
        var counter = Counter();
        long Prompt(string content) =>
            counter.CountPrompt(Encoding.UTF8.GetBytes($$"""{"messages":[{"role":"user","content":"{{content}}"}]}"""), "gpt-4o")
            - TokenCounter.TokensPerMessage - TokenCounter.ReplyPriming;

        Assert.Equal(counter.Count("I 😀 it\n", "gpt-4o"), Prompt("""I \ud83d\ude00 it"""));
        Assert.Equal(counter.Count("I \\ud83d it\n", "gpt-4o"), Prompt("""I \ud83d it"""));
        var huge = new string('x', 3 * 1024 * 1024);
        Assert.InRange(Prompt(huge + """\udfff"""), huge.Length / 4, huge.Length);
    }
}
