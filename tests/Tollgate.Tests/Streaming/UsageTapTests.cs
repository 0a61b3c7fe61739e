using System.Text;
using System.Text.Json;
using Tollgate.Streaming;

namespace Tollgate.Tests.Streaming;

public sealed class UsageTapTests
{
    [Fact]
    public void NonStreamingBody_ReadsUsageDetailsAndFinishReason()
    {
        var tap = new UsageTap();
        var kind = tap.Inspect(Encoding.UTF8.GetBytes("""
            {"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hello","reasoning_content":"hmm"},"finish_reason":"length"}],
             "usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":5,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":20}}}
            """));
        Assert.Equal(ChunkKind.Content, kind);
        Assert.True(tap.UsageReported);
        Assert.Equal((12, 30, 5, 20), (tap.PromptTokens, tap.CompletionTokens, tap.CachedTokens, tap.ReasoningTokens));
        Assert.Equal("length", tap.FinishReason);
        Assert.Equal(8, tap.CompletionTextBytes);
    }

    [Fact]
    public void UsageNull_IsNotReported()
    {
        var tap = new UsageTap();
        Assert.Equal(ChunkKind.Content, tap.Inspect("""{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":null}"""u8));
        Assert.False(tap.UsageReported);
    }

    [Fact]
    public void UsageWithEmptyChoices_IsUsageOnly()
    {
        var tap = new UsageTap();
        Assert.Equal(ChunkKind.UsageOnly, tap.Inspect("""{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"""u8));
        Assert.Equal(ChunkKind.UsageOnly, tap.Inspect("""{"usage":{"prompt_tokens":1,"completion_tokens":2}}"""u8));
    }

    [Fact]
    public void ErrorObject_IsError() =>
        Assert.Equal(ChunkKind.Error, new UsageTap().Inspect("""{"error":{"message":"x"}}"""u8));

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1]")]
    [InlineData("{\"a\":1")]
    public void NotJson_Throws(string payload) =>
        Assert.ThrowsAny<JsonException>(() => new UsageTap().Inspect(Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void NegativeOrNonNumericCounts_AreZero()
    {
        var tap = new UsageTap();
        tap.Inspect("""{"usage":{"prompt_tokens":-4,"completion_tokens":"many"}}"""u8);
        Assert.Equal((0, 0), (tap.PromptTokens, tap.CompletionTokens));
    }

    [Fact]
    public void GeneratedText_IsKeptUnescaped_AcrossChunks_UntilDisposed()
    {
        using var tap = new UsageTap();
        tap.Inspect("""{"choices":[{"index":0,"delta":{"role":"assistant","content":"h\u00e9llo "}}]}"""u8);
        tap.Inspect("""{"choices":[{"index":0,"delta":{"reasoning_content":"\"q\"\n"}}]}"""u8);
        tap.Inspect("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]}}]}"""u8);
        Assert.Equal("héllo \"q\"\nf{}", Encoding.UTF8.GetString(tap.CompletionText));
        tap.Dispose();
        Assert.True(tap.CompletionText.IsEmpty);
    }

    [Fact]
    public void GeneratedText_IsKeptUpToItsCap_WhileEveryByteIsCounted()
    {
        using var tap = new UsageTap();
        var chunk = Encoding.UTF8.GetBytes("""{"choices":[{"index":0,"delta":{"content":"X"}}]}""".Replace("X", new string('x', 100_000), StringComparison.Ordinal));
        for (var i = 0; i < 4; i++)
        {
            tap.Inspect(chunk);
        }
        Assert.Equal(400_000, tap.CompletionTextBytes);
        Assert.Equal(UsageTap.MaxKeptTextBytes, tap.CompletionText.Length);
    }
}
