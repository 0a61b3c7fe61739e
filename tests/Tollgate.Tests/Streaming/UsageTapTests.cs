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
    private static readonly string[] OpenAiStream =
    [
        """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"h\u00e9llo \"usage\": 5, \"error\":1"},"logprobs":null,"finish_reason":null}],"usage":null}""",
        """{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"think"} , "finish_reason" : null }] , "usage" :null}""",
        """{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":null}]}""",
        """{"id":"c","choices":[{"index":0,"delta":{"refusal":"no"},"finish_reason":null}],"object":"usage"}""",
        """{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}""",
        """{"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":2}}}""",
    ];

    public static TheoryData<string[]> Streams()
    {
        var streams = new TheoryData<string[]>();
        streams.Add(OpenAiStream);
        streams.Add(OpenAiStream[..^1]); // no usage at the end: the text is what gets counted
        streams.Add([.. OpenAiStream[..3], """{"error":{"message":"overloaded"}}"""]);
        streams.Add([.. OpenAiStream[..2], "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut"]);
        streams.Add([.. Enumerable.Repeat(OpenAiStream[1], 400), .. OpenAiStream[5..]]); // past MaxDeferredBytes: read as they pass from there on
        return streams;
    }

    [Fact]
    public void RandomStreams_InspectedLazily_GiveExactlyWhatAParseOfEveryChunkGives()
    {
        string[] pool =
        [
            .. OpenAiStream,
            """{"choices":[{"index":0,"delta":{"content":"late"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}""",
            """{"error":{"message":"x"}}""",
            """{"choices":[{"index":0,"delta":{"content":"trunc""",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + new string('w', 20_000) + "\"},\"finish_reason\":null}]}",
        ];
        var random = new Random(2126);
        for (var stream = 0; stream < 300; stream++)
        {
            var chunks = Enumerable.Range(0, random.Next(1, 40)).Select(_ => pool[random.Next(pool.Length)]).ToArray();
            StreamChunks_InspectedLazily_GiveExactlyWhatAParseOfEveryChunkGives(chunks, requireText: false);
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void StreamChunks_InspectedLazily_GiveExactlyWhatAParseOfEveryChunkGives(string[] chunks, bool requireText = true)
    {
        using var eager = new UsageTap();
        using var lazy = new UsageTap();
        foreach (var chunk in chunks)
        {
            var bytes = Encoding.UTF8.GetBytes(chunk);
            Assert.Equal(Kind(() => eager.Inspect(bytes)), Kind(() => lazy.InspectChunk(bytes)));
        }
        Assert.Equal(eager.UsageReported, lazy.UsageReported);
        Assert.Equal((eager.PromptTokens, eager.CompletionTokens, eager.CachedTokens, eager.ReasoningTokens),
            (lazy.PromptTokens, lazy.CompletionTokens, lazy.CachedTokens, lazy.ReasoningTokens));
        Assert.Equal(eager.FinishReason, lazy.FinishReason);
        Assert.Equal(eager.SawOutput, lazy.SawOutput);
        Assert.Equal(eager.CompletionTextBytes, lazy.CompletionTextBytes);
        Assert.Equal(Encoding.UTF8.GetString(eager.CompletionText), Encoding.UTF8.GetString(lazy.CompletionText));
        Assert.True(lazy.CompletionTextBytes > 0 || !requireText);

        static string Kind(Func<ChunkKind> inspect)
        {
            try
            {
                return inspect().ToString();
            }
            catch (JsonException)
            {
                return "not JSON";
            }
        }
    }

    [Theory]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}""", true)]
    [InlineData(""" {"choices":[{"delta":{"content":"\"usage\":{}"}}],"usage" :	null} """, true)]
    [InlineData("""{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}""", false)]
    [InlineData("""{"choices":[{"delta":{"content":"a"},"finish_reason":null}],"usage":{"prompt_tokens":1}}""", false)]
    [InlineData("""{"choices":[],"usage":{}}""", false)]
    [InlineData("""{"error":{"message":"x"}}""", false)]
    [InlineData("""{"error":null,"usage":nullx}""", true)] // nothing the parser would read as usage or an error
    [InlineData("""{"object":"usage"}""", false)] // a value that looks like the key: the parser decides
    [InlineData("""{"usage":""", false)]
    [InlineData("""{"choices":[{"delta":{"content":"cut""", false)]
    [InlineData("[1]", false)]
    [InlineData("", false)]
    public void OnlyChunksThatCanCarryNothingButText_AreKeptUnread(string chunk, bool textOnly) =>
        Assert.Equal(textOnly, UsageTap.IsTextDelta(Encoding.UTF8.GetBytes(chunk)));
}
