using System.Text;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Proxy;

namespace Tollgate.Tests.Proxy;

public sealed class ChatRequestParserTests
{
    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static ApiError? Parse(string json, out ChatRequest request) => ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(json), out request);

    private static string With(string field) => "{\"model\":\"m\"," + Messages + "," + field + "}";

    /// <summary>Every value the provider docs allow, at and inside the edges of each range.</summary>
    public static TheoryData<string> Accepted => new()
    {
        With("\"temperature\":0"), With("\"temperature\":2"), With("\"temperature\":1.3"), With("\"temperature\":null"),
        With("\"top_p\":0"), With("\"top_p\":1"),
        With("\"presence_penalty\":-2"), With("\"presence_penalty\":2"), With("\"frequency_penalty\":-2"), With("\"frequency_penalty\":2"),
        With("\"n\":1"), With("\"n\":4"),
        With("\"top_logprobs\":0"), With("\"top_logprobs\":20"), With("\"logprobs\":true"),
        With("\"top_k\":1"), With("\"top_k\":40"),
        With("\"max_tokens\":1"), With("\"max_completion_tokens\":512"), With("\"seed\":-5"),
        With("\"stop\":\"END\""), With("\"stop\":[\"a\",\"b\"]"), With("\"stop\":null"),
        With("\"tool_choice\":\"none\""), With("\"tool_choice\":\"auto\""), With("\"tool_choice\":\"required\""),
        With("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"),
        With("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get-weather_2\",\"description\":\"d\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]"),
        With("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + new string('a', 64) + "\"}}]"),
        With("\"reasoning_effort\":\"minimal\""), With("\"reasoning_effort\":\"low\""), With("\"reasoning_effort\":\"medium\""), With("\"reasoning_effort\":\"high\""),
        With("\"thinking\":{\"type\":\"enabled\"}"), With("\"thinking\":{\"type\":\"disabled\",\"budget_tokens\":100}"), With("\"thinking\":\"{\\\"type\\\":\\\"enabled\\\"}\""),
        With("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{},\"strict\":true}}"),
        With("\"response_format\":{\"type\":\"text\"}"), With("\"response_format\":{\"type\":\"json_object\"}"),
        With("\"logit_bias\":{\"50256\":-100,\"15\":5}"),
        With("\"modalities\":[\"text\",\"audio\"]"), With("\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}"),
        With("\"metadata\":{\"k\":\"v\"}"), With("\"user\":\"user-123\""), With("\"parallel_tool_calls\":false"),
        With("\"stream\":true,\"stream_options\":{\"include_usage\":true}"), With("\"stream_options\":null"),
        With("\"some_vendor_field\":{\"deep\":[1,{\"a\":null}]}"),
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\",\"name\":\"n\"},{\"role\":\"developer\",\"content\":\"d\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}},{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AAA\",\"format\":\"wav\"}}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"r\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"},\"index\":0}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":[{\"type\":\"text\",\"text\":\"42\"}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"m\"}",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void DocumentedRequests_AreAccepted(string json)
    {
        var error = Parse(json, out var request);
        Assert.Null(error);
        Assert.Equal("m", request.Model);
    }

    /// <summary>Out-of-range values: 422 naming the parameter.</summary>
    [Theory]
    [InlineData("\"temperature\":-0.1", "temperature")]
    [InlineData("\"temperature\":2.01", "temperature")]
    [InlineData("\"top_p\":1.5", "top_p")]
    [InlineData("\"top_p\":-1", "top_p")]
    [InlineData("\"presence_penalty\":-2.5", "presence_penalty")]
    [InlineData("\"frequency_penalty\":3", "frequency_penalty")]
    [InlineData("\"n\":0", "n")]
    [InlineData("\"n\":1.5", "n")]
    [InlineData("\"top_logprobs\":21", "top_logprobs")]
    [InlineData("\"top_logprobs\":-1", "top_logprobs")]
    [InlineData("\"top_k\":0", "top_k")]
    [InlineData("\"max_tokens\":0", "max_tokens")]
    [InlineData("\"max_completion_tokens\":-3", "max_completion_tokens")]
    [InlineData("\"stop\":5", "stop")]
    [InlineData("\"stop\":[\"a\",1]", "stop")]
    [InlineData("\"tool_choice\":\"sometimes\"", "tool_choice")]
    [InlineData("\"tool_choice\":{\"type\":\"function\"}", "tool_choice")]
    [InlineData("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"bad name\"}}", "tool_choice.function.name")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"has space\"}}]", "tools[0].function.name")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]", "tools[0].function.name")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"ok\"}},{\"type\":\"function\",\"function\":{\"name\":\"dot.name\"}}]", "tools[1].function.name")]
    [InlineData("\"reasoning_effort\":\"extreme\"", "reasoning_effort")]
    [InlineData("\"thinking\":{\"type\":\"maybe\"}", "thinking.type")]
    [InlineData("\"response_format\":{\"type\":\"yaml\"}", "response_format.type")]
    [InlineData("\"logit_bias\":{\"1\":101}", "logit_bias")]
    [InlineData("\"modalities\":[\"video\"]", "modalities")]
    public void OutOfRangeValues_Are422NamingTheParam(string field, string param)
    {
        var error = Parse(With(field), out _);
        Assert.NotNull(error);
        Assert.Equal(422, error.Status);
        Assert.Equal(param, error.Param);
        Assert.Equal("invalid_request_error", error.Type);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData(",\"max_tokens\":100", 100L)]
    [InlineData(",\"max_tokens\":100,\"max_completion_tokens\":40", 40L)]
    [InlineData(",\"max_completion_tokens\":40,\"n\":3", 120L)]
    [InlineData(",\"max_tokens\":null,\"n\":2", null)]
    public void MaxOutputTokens_IsTheLimitPerChoiceTimesTheChoices(string extra, long? expected)
    {
        Assert.Null(Parse($$"""{"model":"m","messages":[{"role":"user","content":"hi"}]{{extra}}}""", out var request));
        Assert.Equal(expected, request.MaxOutputTokens);
    }

    [Fact]
    public void TooLongToolName_Is422()
    {
        var error = Parse(With("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + new string('a', 65) + "\"}}]"), out _);
        Assert.Equal(422, error?.Status);
    }

    [Fact]
    public void UnknownRole_Is422()
    {
        var error = Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"robot\",\"content\":\"b\"}]}", out _);
        Assert.Equal(422, error?.Status);
        Assert.Equal("messages[1].role", error?.Param);
    }

    /// <summary>Malformed JSON and wrong shapes: 400.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{")]
    [InlineData("{\"model\":\"m\"," + Messages + "} trailing")]
    [InlineData("{\"model\":\"m\"," + Messages + ",}")]
    [InlineData("{\"model\":\"m\"," + Messages + "}{}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")]
    [InlineData("{\"model\":\"m\"}")]
    [InlineData("{\"model\":5," + Messages + "}")]
    [InlineData("{\"model\":\"\"," + Messages + "}")]
    [InlineData("{\"model\":\"m\",\"messages\":{}}")]
    [InlineData("{\"model\":\"m\",\"messages\":[]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[\"hi\"]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"content\":\"no role\"}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"no type\"}]}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\"}]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"stream\":\"yes\"}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"temperature\":\"hot\"}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"stream_options\":[]}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"stream_options\":{\"include_usage\":1}}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"tools\":{}}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"tools\":[{\"type\":\"function\"}]}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"metadata\":\"x\"}")]
    [InlineData("{'model':'m'}")]
    [InlineData("{\"model\":\"m\"," + Messages + " /* comment */}")]
    public void MalformedOrMisshapen_Is400(string json)
    {
        var error = Parse(json, out _);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData("{\"model\":\"m\",\"model\":\"n\"," + Messages + "}")]
    [InlineData("{\"model\":\"m\",\"stream\":false," + Messages + ",\"stream\":true}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"role\":\"system\",\"content\":\"x\"}]}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"x\":{\"a\":1,\"b\":2,\"a\":3}}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"x\":[{\"deep\":{\"k\":1,\"k\":1}}]}")]
    [InlineData("{\"model\":\"m\"," + Messages + ",\"mo\\u0064el\":\"n\"}")]
    public void DuplicateKeys_AtAnyDepth_AreRejected(string json)
    {
        var error = Parse(json, out _);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Contains("more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameKeyInSiblingObjects_IsNotADuplicate()
    {
        Assert.Null(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}],\"x\":{\"a\":{\"a\":1},\"b\":{\"a\":2}}}", out _));
    }

    [Fact]
    public void ObjectWithThousandsOfKeys_IsCheckedInLinearTime_AndDuplicateFound()
    {
        // Work is counted, not timed: doubling the keys must about double the comparisons (a pairwise scan would quadruple them).
        var work = DuplicateCheckWork(10_000);
        var doubled = DuplicateCheckWork(20_000);
        Assert.InRange(work, 10_000, 30_000);
        Assert.InRange((double)doubled / work, 1.5, 3);

        var keys = ObjectWithKeys(20_000, extra: ",\"k19999\":0");
        var error = ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(With("\"x\":" + keys)), new DuplicateKeyTracker(), out _);
        Assert.Equal(400, error?.Status);
        Assert.Equal("k19999", error?.Param);
    }

    private static long DuplicateCheckWork(int keyCount)
    {
        var tracker = new DuplicateKeyTracker();
        Assert.Null(ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(With("\"x\":" + ObjectWithKeys(keyCount))), tracker, out _));
        return tracker.Probes;
    }

    private static string ObjectWithKeys(int count, string extra = "") =>
        "{" + string.Join(",", Enumerable.Range(0, count).Select(i => $"\"k{i}\":{i}")) + extra + "}";

    [Fact]
    public void NestingBeyondTheLimit_Is400()
    {
        var deep = With("\"x\":" + new string('[', 10_000) + new string(']', 10_000));
        Assert.Equal(400, Parse(deep, out _)?.Status);
    }

    [Fact]
    public void RecordsPositionsOfRewrittenFields()
    {
        const string json = "{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":false}," + Messages + "}";
        Assert.Null(Parse(json, out var request));
        Assert.True(request.Stream);
        Assert.False(request.ClientIncludeUsage);
        Assert.Equal("\"gpt\"", json.Substring(request.ModelValue.Start, request.ModelValue.Length));
        Assert.Equal("false", json.Substring(request.IncludeUsageValue.Start, request.IncludeUsageValue.Length));
        Assert.Equal("{\"include_usage\":false}", json.Substring(request.StreamOptionsValue.Start, request.StreamOptionsValue.Length));
    }

    [Fact]
    public void EscapedModelName_IsUnescaped()
    {
        Assert.Null(Parse("{\"model\":\"gpt\\u002d4\"," + Messages + "}", out var request));
        Assert.Equal("gpt-4", request.Model);
    }
}
