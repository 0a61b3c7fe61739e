using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Tollgate.Proxy;
using Tollgate.Upstreams;
using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Tests.Proxy;

/// <summary>
/// Adaptation in the parser's pass: the parser records where the adapted fields sit, and the edits found from those
/// records are the ones a separate pass over the body finds, on hand-written and random valid requests.
/// </summary>
public sealed class OnePassAdaptationTests
{
    private static readonly RequestAdaptation Standard = Create(
        rename: new() { ["max_tokens"] = "max_completion_tokens" },
        drop: ["top_k", "thinking"],
        replace: new() { ["reasoning_effort"] = new() { ["minimal"] = "low", ["xhigh"] = "" } });

    private static readonly RequestAdaptation Reverse = Create(
        rename: new() { ["max_completion_tokens"] = "max_tokens", ["reasoning_effort"] = "effort" },
        drop: ["metadata"],
        replace: new() { ["reasoning_effort"] = new() { ["minimal"] = "low", ["high"] = "" } });

    private static readonly RequestAdaptation NoStreamOptions = Create(
        rename: [],
        drop: ["stream_options", "n", "temperature", "x", "top_k"],
        replace: []);

    private static readonly RequestAdaptation[] All = [Standard, Reverse, NoStreamOptions];

    private static RequestAdaptation Create(Dictionary<string, string> rename, List<string> drop, Dictionary<string, Dictionary<string, string>> replace)
    {
        var options = new UpstreamAdaptationOptions { Drop = drop };
        foreach (var (from, to) in rename)
        {
            options.Rename[from] = to;
        }
        foreach (var (field, values) in replace)
        {
            options.ReplaceValues[field] = values.ToDictionary(pair => pair.Key, pair => (string?)pair.Value);
        }
        return RequestAdaptation.Create(options);
    }

    [Fact]
    public void Fields_AreTheUnionOfTheAdaptationsNames_AndCoverOnlyThoseAdaptations()
    {
        var fields = TopLevelFields.Of([Standard, Reverse, RequestAdaptation.None, Standard])!;
        // max_tokens, max_completion_tokens, top_k, thinking, reasoning_effort (Standard); effort, metadata (Reverse).
        Assert.Equal(7, fields.Count);
        Assert.True(fields.Covers(Standard));
        Assert.True(fields.Covers(Reverse));
        Assert.False(fields.Covers(NoStreamOptions));
        Assert.True(fields.Contains("effort"u8));
        Assert.True(fields.Contains("max_completion_tokens"u8));
        Assert.False(fields.Contains("max_tokens_"u8));
        Assert.False(fields.Contains("stream_options"u8));
        Assert.True(fields.ContainsKey("\"top\\u005fk\""u8));
        Assert.False(fields.ContainsKey("\"top\\u005fK\""u8));
        Assert.Null(TopLevelFields.Of([RequestAdaptation.None]));
    }

    [Fact]
    public void Parser_RecordsWhereTheFieldsSit_WithTheirNeighbours()
    {
        const string json = "{ \"model\":\"m\", \"top\\u005fk\" : 40 ,\"messages\":[{\"role\":\"user\",\"content\":\"top_k\"}],\"reasoning_effort\":\"minimal\"}";
        var body = Encoding.UTF8.GetBytes(json);
        Assert.Null(ChatRequestParser.TryParse(body, TopLevelFields.Of([Standard]), out var request));

        var members = request.Members.ToArray();
        Assert.Equal(2, members.Length);
        var topK = json.IndexOf("\"top", StringComparison.Ordinal);
        var messages = json.IndexOf("\"messages\"", StringComparison.Ordinal);
        Assert.Equal(new TopLevelMember(json.IndexOf("\"m\"", StringComparison.Ordinal) + 3, topK, topK + "\"top\\u005fk\"".Length,
            json.IndexOf("40", StringComparison.Ordinal), json.IndexOf("40", StringComparison.Ordinal) + 2, messages), members[0]);
        var effort = json.IndexOf("\"reasoning_effort\"", StringComparison.Ordinal);
        Assert.Equal(new TopLevelMember(json.IndexOf("}]", StringComparison.Ordinal) + 2, effort, effort + "\"reasoning_effort\"".Length,
            json.IndexOf("\"minimal\"", StringComparison.Ordinal), json.Length - 1), members[1]);

        request.ReleaseMembers();
        Assert.True(request.Members.IsEmpty);
        Assert.Null(request.RecordedFields);
        request.ReleaseMembers();
    }

    [Fact]
    public void Parser_WithoutFields_RecordsNothing()
    {
        Assert.Null(ChatRequestParser.TryParse("""{"model":"m","top_k":1,"messages":[{"role":"user","content":"hi"}]}"""u8, out var request));
        Assert.True(request.Members.IsEmpty);
        Assert.Null(request.RecordedFields);
    }

    [Fact]
    public void Rewrite_FromTheParsersRecords_MatchesAHandWrittenExpectation()
    {
        var body = """{"top_k":1,"model":"client","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"xhigh"}"""u8.ToArray();
        Assert.Null(ChatRequestParser.TryParse(body, TopLevelFields.Of(All), out var request));
        var output = new ArrayBufferWriter<byte>();
        RequestRewriter.Rewrite(body, request, RequestRewriter.EncodeModel("up"), output, Standard);
        Assert.Equal("""{"stream_options":{"include_usage":true},"model":"up","max_completion_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    // A trailing drop after a member another upstream's rules name (effort, Reverse's rename target): its comma goes too.
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"effort":"x" , "top_k":1}""",
        """{"model":"up","messages":[{"role":"user","content":"hi"}],"effort":"x"}""")]
    // The rename's target is in the body: the client's wins and the member that would be renamed goes.
    [InlineData("""{"max_tokens":1,"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2}""",
        """{"model":"up","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2}""")]
    // Every member after the messages goes: one range from the end of the last member kept.
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":1024},"reasoning_effort":"xhigh","top_k":3}""",
        """{"model":"up","messages":[{"role":"user","content":"hi"}]}""")]
    // An escaped key between two dropped members, which are not adjacent.
    [InlineData("""{"top_k":3,"max\u005ftokens":7,"thinking":null,"model":"m","messages":[{"role":"user","content":"hi"}]}""",
        """{"max_completion_tokens":7,"model":"up","messages":[{"role":"user","content":"hi"}]}""")]
    public void Rewrite_FromTheParsersRecords_HandWrittenCases(string json, string expected)
    {
        var body = Encoding.UTF8.GetBytes(json);
        Assert.Null(ChatRequestParser.TryParse(body, TopLevelFields.Of(All), out var request));
        Assert.NotEqual(0, request.Members.Length);
        var output = new ArrayBufferWriter<byte>();
        RequestRewriter.Rewrite(body, request, RequestRewriter.EncodeModel("up"), output, Standard);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void AValueThatSpellsNoText_MatchesNoReplacement_OnBothPaths()
    {
        var tier = Create(rename: [], drop: [], replace: new() { ["service_tier"] = new() { ["flex"] = "auto" } });
        // A lone surrogate escape: the parser passes unknown fields over without decoding them.
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"service_tier":"\ud800"}"""u8.ToArray();
        Assert.Null(ChatRequestParser.TryParse(body, TopLevelFields.Of([tier]), out var recorded));
        Assert.Null(ChatRequestParser.TryParse(body, out var plain));
        foreach (var request in new[] { recorded, plain })
        {
            var output = new ArrayBufferWriter<byte>();
            RequestRewriter.Rewrite(body, request, RequestRewriter.EncodeModel("m"), output, tier);
            Assert.Equal(Encoding.UTF8.GetString(body), Encoding.UTF8.GetString(output.WrittenSpan));
        }
    }

    [Fact]
    public void Rewrite_ForAnAdaptationTheRecordsDoNotCover_WalksTheBodyInstead()
    {
        var body = """{"model":"m","n":2,"messages":[{"role":"user","content":"hi"}],"top_k":3}"""u8.ToArray();
        Assert.Null(ChatRequestParser.TryParse(body, TopLevelFields.Of([Reverse]), out var request));
        Assert.True(request.Members.IsEmpty);
        var output = new ArrayBufferWriter<byte>();
        RequestRewriter.Rewrite(body, request, RequestRewriter.EncodeModel("m"), output, NoStreamOptions);
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void RandomValidRequests_EditsFromTheParsersRecordsEqualTheWalks_AndSoDoTheBodies()
    {
        var fields = TopLevelFields.Of(All)!;
        var random = new Random(20261202);
        var adapted = 0;
        for (var iteration = 0; iteration < 600; iteration++)
        {
            var body = ValidRequests.Next(random);
            var error = ChatRequestParser.TryParse(body, fields, out var recorded);
            Assert.True(error is null, $"iteration {iteration}: the parser refused {Encoding.UTF8.GetString(body)}: {error?.Message}");
            Assert.Null(ChatRequestParser.TryParse(body, out var plain));

            foreach (var adaptation in All)
            {
                Span<BodyEdit> fromRecords = new BodyEdit[adaptation.MaxEdits];
                Span<BodyEdit> fromWalk = new BodyEdit[adaptation.MaxEdits];
                var count = adaptation.CollectEdits(body, recorded.Members, fromRecords);
                var walked = adaptation.CollectEdits(body, fromWalk);
                if (!fromRecords[..count].SequenceEqual(fromWalk[..walked]))
                {
                    Assert.Fail($"iteration {iteration}: {count} edits from the records, {walked} from the walk, for {Encoding.UTF8.GetString(body)}");
                }
                adapted += count > 0 ? 1 : 0;

                var onePass = new ArrayBufferWriter<byte>();
                var twoPass = new ArrayBufferWriter<byte>();
                RequestRewriter.Rewrite(body, recorded, RequestRewriter.EncodeModel("up"), onePass, adaptation);
                RequestRewriter.Rewrite(body, plain, RequestRewriter.EncodeModel("up"), twoPass, adaptation);
                Assert.Equal(Encoding.UTF8.GetString(twoPass.WrittenSpan), Encoding.UTF8.GetString(onePass.WrittenSpan));
                using var document = JsonDocument.Parse(onePass.WrittenMemory, new JsonDocumentOptions { AllowDuplicateProperties = false });
            }
            recorded.ReleaseMembers();
        }
        // The bodies exercise the rules, not just the copy.
        Assert.InRange(adapted, 900, 1800);
    }

    /// <summary>Random chat requests the parser accepts: the adapted fields and others, in any order, indented or not, keys sometimes escaped.</summary>
    private static class ValidRequests
    {
        private static readonly string[] Optional =
        [
            "max_tokens", "max_completion_tokens", "top_k", "thinking", "reasoning_effort", "effort", "stream", "stream_options",
            "temperature", "n", "metadata", "x", "caf\u00e9", "top_k_", "Top_K", "user", "seed",
        ];

        /// <summary>Escapes '_' and 'k' (in keys and strings alike): <c>top_k</c> is written <c>top\u005F\u006B</c>.</summary>
        private static readonly JavaScriptEncoder Escaping = CreateEscaping();

        public static byte[] Next(Random random)
        {
            var output = new ArrayBufferWriter<byte>();
            var options = new JsonWriterOptions { Indented = random.Next(3) == 0, Encoder = random.Next(3) == 0 ? Escaping : null };
            var keys = Optional.OrderBy(_ => random.Next()).Take(random.Next(Optional.Length + 1)).Append("model").Append("messages")
                .OrderBy(_ => random.Next()).ToArray();
            using (var writer = new Utf8JsonWriter(output, options))
            {
                writer.WriteStartObject();
                foreach (var key in keys)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, key, random);
                }
                writer.WriteEndObject();
            }
            return output.WrittenSpan.ToArray();
        }

        private static void WriteValue(Utf8JsonWriter writer, string key, Random random)
        {
            string Pick(params string[] raw) => raw[random.Next(raw.Length)];
            switch (key)
            {
                case "model":
                    writer.WriteStringValue(Pick("gpt-4o-mini", "top_k", "m"));
                    break;
                case "messages":
                    writer.WriteRawValue("""[{"role":"system","content":"max_tokens"},{"role":"user","content":"{\"top_k\":1}"}]""");
                    break;
                case "max_tokens" or "max_completion_tokens" or "top_k":
                    writer.WriteRawValue(Pick("1", "256", "4096", "null"));
                    break;
                case "thinking":
                    writer.WriteRawValue(Pick("""{"type":"enabled","budget_tokens":1024}""", """{"type":"disabled"}""", "null"));
                    break;
                case "reasoning_effort":
                    if (random.Next(5) == 0)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        writer.WriteStringValue(Pick("minimal", "low", "medium", "high", "xhigh", "none"));
                    }
                    break;
                case "stream":
                    writer.WriteBooleanValue(random.Next(2) == 0);
                    break;
                case "stream_options":
                    writer.WriteRawValue(Pick("""{"include_usage":true}""", """{"include_usage":false}""", "{}", "null"));
                    break;
                case "temperature":
                    writer.WriteRawValue(Pick("0", "0.7", "1.0E+0", "2"));
                    break;
                case "n":
                    writer.WriteRawValue(Pick("1", "2", "null"));
                    break;
                case "metadata":
                    writer.WriteRawValue(Pick("""{"max_tokens":"1","top_k":"x"}""", "{}", "null"));
                    break;
                case "user":
                    writer.WriteStringValue(Pick("user-1", "minimal"));
                    break;
                case "seed":
                    writer.WriteRawValue(Pick("-1", "123456789"));
                    break;
                default:
                    writer.WriteRawValue(Pick("\"minimal\"", "[1,[2,{\"a\":[]}],\"]}\"]", "{\"top_k\":{\"thinking\":null}}", "-0.0e-0", "true", "\"h\\u00e9\""));
                    break;
            }
        }

        private static JavaScriptEncoder CreateEscaping()
        {
            var settings = new TextEncoderSettings(UnicodeRanges.BasicLatin);
            settings.ForbidCharacters('_', 'k');
            return JavaScriptEncoder.Create(settings);
        }
    }
}
