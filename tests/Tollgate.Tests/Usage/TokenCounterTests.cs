using System.Text;
using Microsoft.Extensions.Options;
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
}
