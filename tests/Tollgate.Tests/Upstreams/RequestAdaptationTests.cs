using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.Extensions.Configuration;
using Tollgate.Proxy;
using Tollgate.Upstreams;
using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Tests.Upstreams;

public sealed class RequestAdaptationTests
{
    private const string Path = "Tollgate:Upstreams:acme:Adapt";

    /// <summary>max_tokens renamed, top_k/thinking dropped, reasoning_effort minimal → low and xhigh dropped.</summary>
    private static readonly RequestAdaptation Standard = Compile(
        ("Rename:max_tokens", "max_completion_tokens"),
        ("Drop:0", "top_k"),
        ("Drop:1", "thinking"),
        ("ReplaceValues:reasoning_effort:minimal", "low"),
        ("ReplaceValues:reasoning_effort:xhigh", ""));

    private static UpstreamAdaptationOptions Bind(params (string Key, string? Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(setting => KeyValuePair.Create(Path + ":" + setting.Key, setting.Value)))
            .Build();
        var options = new UpstreamAdaptationOptions();
        configuration.GetSection(Path).Bind(options);
        return options;
    }

    private static RequestAdaptation Compile(params (string Key, string? Value)[] settings) => RequestAdaptation.Create(Bind(settings), Path);

    private static IReadOnlyList<string> Problems(params (string Key, string? Value)[] settings) => Bind(settings).Validate(Path);

    private static string Adapt(RequestAdaptation adaptation, string json)
    {
        var output = new ArrayBufferWriter<byte>();
        adaptation.Adapt(Encoding.UTF8.GetBytes(json), output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":256,"messages":[]}""", """{"model":"m","max_completion_tokens":256,"messages":[]}""")]
    [InlineData("""{"max_tokens" : 2.56e2 ,"model":"m"}""", """{"max_completion_tokens" : 2.56e2 ,"model":"m"}""")]
    [InlineData("""{"model":"m","metadata":{"max_tokens":1},"max_tokens":null}""", """{"model":"m","metadata":{"max_tokens":1},"max_completion_tokens":null}""")]
    public void Rename_MaxTokens_BecomesMaxCompletionTokens(string json, string expected) => Assert.Equal(expected, Adapt(Standard, json));

    [Fact]
    public void Rename_TheOtherWay_MaxCompletionTokensBecomesMaxTokens()
    {
        var adaptation = Compile(("Rename:max_completion_tokens", "max_tokens"));
        Assert.Equal("""{"model":"m", "max_tokens" :10}""", Adapt(adaptation, """{"model":"m", "max_completion_tokens" :10}"""));
    }

    [Theory]
    [InlineData("""{"max_tokens":1,"model":"m","max_completion_tokens":2}""", """{"model":"m","max_completion_tokens":2}""")]
    [InlineData("""{"max_completion_tokens":2,"model":"m","max_tokens":1}""", """{"max_completion_tokens":2,"model":"m"}""")]
    [InlineData("""{"max_tokens":1,"max_completion_tokens":2}""", """{"max_completion_tokens":2}""")]
    [InlineData("""{"max_completion_tokens":2,"max_tokens":1}""", """{"max_completion_tokens":2}""")]
    [InlineData("""{"model":"m","max_tokens":1,"max_completion\u005ftokens":2}""", """{"model":"m","max_completion\u005ftokens":2}""")]
    public void Rename_TargetAlreadyInTheBody_TheClientsTargetWinsAndTheRenamedMemberIsDropped(string json, string expected) =>
        Assert.Equal(expected, Adapt(Standard, json));

    [Theory]
    [InlineData("""{"top_k":40,"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","top_k":40,"n":1}""", """{"model":"m","n":1}""")]
    [InlineData("""{"model":"m","top_k":40}""", """{"model":"m"}""")]
    [InlineData("""{"top_k":40}""", """{}""")]
    [InlineData("""{"thinking":{"type":"enabled","budget_tokens":1024,"nested":{"top_k":1,"x":[{}]}},"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","top_k":[1,[2,{"a":[]}],"]}"],"n":1}""", """{"model":"m","n":1}""")]
    [InlineData("""{"model":"m","thinking":"{\"type\":\"enabled\"}"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","top_k":null,"thinking":true}""", """{"model":"m"}""")]
    [InlineData("""{"top_k":1,"thinking":{},"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"top_k":1,"model":"m","thinking":{}}""", """{"model":"m"}""")]
    [InlineData("""{"thinking":{},"model":"m","n":2,"top_k":false}""", """{"model":"m","n":2}""")]
    [InlineData("""{"top_k":1,"model":"m","thinking":[],"n":2}""", """{"model":"m","n":2}""")]
    [InlineData("""{ "top_k" : 1 , "thinking" : {} }""", """{  }""")]
    [InlineData("""{"model":"m" , "top_k" : -1.5E-3 }""", """{"model":"m" }""")]
    public void Drop_RemovesTheMemberAndOneComma_InEveryPosition(string json, string expected)
    {
        var adapted = Adapt(Standard, json);
        Assert.Equal(expected, adapted);
        using var document = JsonDocument.Parse(adapted);
    }

    [Fact]
    public void Drop_IndentedBody_KeepsTheLayoutOfTheRest()
    {
        const string json = "{\n  \"top_k\": 40,\n  \"model\": \"m\",\n  \"thinking\": {\n    \"type\": \"enabled\"\n  }\n}";
        Assert.Equal("{\n  \"model\": \"m\"\n}", Adapt(Standard, json));
    }

    [Theory]
    [InlineData("""{"model":"m","reasoning_effort":"minimal"}""", """{"model":"m","reasoning_effort":"low"}""")]
    [InlineData("""{"reasoning_effort" : "min\u0069mal" , "model":"m"}""", """{"reasoning_effort" : "low" , "model":"m"}""")]
    [InlineData("""{"reasoning_effort":"xhigh","model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","reasoning_effort":"xhigh"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","reasoning_effort":"high"}""", """{"model":"m","reasoning_effort":"high"}""")]
    [InlineData("""{"model":"m","reasoning_effort":null}""", """{"model":"m","reasoning_effort":null}""")]
    [InlineData("""{"model":"m","reasoning_effort":["minimal"]}""", """{"model":"m","reasoning_effort":["minimal"]}""")]
    [InlineData("""{"model":"m","metadata":{"reasoning_effort":"minimal"}}""", """{"model":"m","metadata":{"reasoning_effort":"minimal"}}""")]
    public void ReplaceValues_ReplacesOrDropsATopLevelStringValue(string json, string expected) => Assert.Equal(expected, Adapt(Standard, json));

    [Fact]
    public void ReplaceValues_OnARenamedField_RenamesAndReplacesByTheClientsName()
    {
        var adaptation = Compile(("Rename:reasoning_effort", "effort"), ("ReplaceValues:reasoning_effort:minimal", "lo\"w"));
        Assert.Equal(2, adaptation.MaxEdits);
        Assert.Equal("""{"model":"m","effort":"lo\u0022w"}""", Adapt(adaptation, """{"model":"m","reasoning_effort":"minimal"}"""));
        Assert.Equal("""{"effort":"high"}""", Adapt(adaptation, """{"reasoning_effort":"high"}"""));
    }

    [Fact]
    public void Untouched_WhitespaceNumberSpellingsAndNestedContent_AreCopiedByteForByte()
    {
        const string json = "{ \"model\" :\"m\" ,\n\t\"temperature\": 1.0E+0, \"top_p\":-0.0e-0 , \"top_k\" : 4e1 ,\"seed\":123456789012345678901234567890, " +
                            "\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\ud83d\\ude00 \\\"q\\\" caf\u00e9\"}], \"max_tokens\"\r\n:\r\n 0.5e1 }";
        const string expected = "{ \"model\" :\"m\" ,\n\t\"temperature\": 1.0E+0, \"top_p\":-0.0e-0 , \"seed\":123456789012345678901234567890, " +
                                "\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\ud83d\\ude00 \\\"q\\\" caf\u00e9\"}], \"max_completion_tokens\"\r\n:\r\n 0.5e1 }";
        Assert.Equal(expected, Adapt(Standard, json));
    }

    [Theory]
    [InlineData("""{"max\u005ftokens":5,"model":"m"}""", """{"max_completion_tokens":5,"model":"m"}""")]
    [InlineData("""{"\u006dax_tokens":5}""", """{"max_completion_tokens":5}""")]
    [InlineData("""{"model":"m","top\u005Fk":5}""", """{"model":"m"}""")]
    [InlineData("""{"\u0074\u006f\u0070\u005f\u006b":5,"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"reasoning\u005feffort":"minimal"}""", """{"reasoning\u005feffort":"low"}""")]
    [InlineData("""{"top_k\u00e9":1,"tóp_k":2,"model":"m"}""", """{"top_k\u00e9":1,"tóp_k":2,"model":"m"}""")]
    public void EscapedKeys_AreComparedUnescaped(string json, string expected) => Assert.Equal(expected, Adapt(Standard, json));

    [Theory]
    [InlineData("""{"model":"gpt-4o-mini","stream":true,"temperature":0.7,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"m","metadata":{"top_k":1,"max_tokens":2,"thinking":{}},"tools":[{"top_k":3}]}""")]
    [InlineData("""{"model":"m","MAX_TOKENS":1,"Top_K":2,"top_k_":3,"reasoning_effort":"low"}""")]
    [InlineData(""" { "model" : "m" }  """)]
    [InlineData("""{}""")]
    public void NothingMatches_OutputIsTheInput(string json)
    {
        Assert.Equal(json, Adapt(Standard, json));
        Span<BodyEdit> edits = new BodyEdit[Standard.MaxEdits];
        Assert.Equal(0, Standard.CollectEdits(Encoding.UTF8.GetBytes(json), edits));
    }

    [Fact]
    public void None_IsEmptyAndCopiesTheBody()
    {
        Assert.True(RequestAdaptation.None.IsEmpty);
        Assert.False(RequestAdaptation.None.AdaptsBody);
        Assert.Same(RequestAdaptation.None, RequestAdaptation.Create(new UpstreamAdaptationOptions()));
        Assert.Equal("""{"top_k":1}""", Adapt(RequestAdaptation.None, """{"top_k":1}"""));
        Assert.False(Standard.IsEmpty);
        Assert.True(Standard.AdaptsBody);
    }

    [Fact]
    public void Headers_AreAPrecomputedReadOnlyListOrderedByName_AndDoNotTouchTheBody()
    {
        var adaptation = Compile(("Headers:X-Tenant", "t1"), ("Headers:anthropic-version", "2023-06-01"));
        Assert.False(adaptation.IsEmpty);
        Assert.False(adaptation.AdaptsBody);
        Assert.Equal([KeyValuePair.Create("anthropic-version", "2023-06-01"), KeyValuePair.Create("X-Tenant", "t1")], adaptation.Headers);
        Assert.Throws<NotSupportedException>(() => ((ICollection<KeyValuePair<string, string>>)adaptation.Headers).Add(KeyValuePair.Create("a", "b")));
        Assert.Equal("""{"top_k":1}""", Adapt(adaptation, """{"top_k":1}"""));
        Assert.Empty(Standard.Headers);
    }

    [Fact]
    public void Configuration_BindsEveryShape_AnEmptyReplacementDrops()
    {
        var options = Bind(
            ("Rename:max_tokens", "max_completion_tokens"),
            ("Drop:0", "top_k"),
            ("Drop:1", "stream_options"),
            ("ReplaceValues:reasoning_effort:minimal", "low"),
            ("ReplaceValues:reasoning_effort:none", ""),
            ("Headers:x-portkey-provider", "openai"));
        Assert.Empty(options.Validate(Path));
        Assert.Equal("max_completion_tokens", options.Rename["max_tokens"]);
        Assert.Equal(["top_k", "stream_options"], options.Drop);
        Assert.Equal("", options.ReplaceValues["reasoning_effort"]["none"]);
        Assert.Equal("openai", options.Headers["X-Portkey-Provider"]);

        var adaptation = RequestAdaptation.Create(options, Path);
        Assert.True(adaptation.Drops("stream_options"u8));
        Assert.True(adaptation.Drops("top_k"u8));
        Assert.False(adaptation.Drops("max_tokens"u8));
        Assert.False(adaptation.Drops("reasoning_effort"u8));
        Assert.Equal(4, adaptation.MaxEdits);
        Assert.Equal("""{"model":"m","stream":true}""", Adapt(adaptation, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"none"}"""));
    }

    [Theory]
    [InlineData("Rename:max_tokens", "max completion", null, null, Path + ":Rename:max_tokens must be a plain JSON property name")]
    [InlineData("Rename:max_tokens", "max_tokens", null, null, Path + ":Rename:max_tokens renames the field to itself.")]
    [InlineData("Rename:model", "llm", null, null, Path + ":Rename:model: model, messages, stream and stream_options are the gateway's own")]
    [InlineData("Rename:max_tokens", "stream", null, null, Path + ":Rename:max_tokens: model, messages, stream and stream_options are the gateway's own")]
    [InlineData("Rename:a", "b", "Rename:b", "c", Path + ":Rename:a renames to 'b', which is itself renamed")]
    [InlineData("Rename:a", "c", "Rename:b", "c", Path + ":Rename:b and " + Path + ":Rename:a both rename to 'c'.")]
    [InlineData("Rename:a", "b", "Drop:0", "b", Path + ":Rename:a renames to 'b', which Drop removes.")]
    [InlineData("Drop:0", "messages", null, null, Path + ":Drop:0 cannot drop 'messages'")]
    [InlineData("Drop:0", "top k", null, null, Path + ":Drop:0 must be a plain JSON property name")]
    [InlineData("Drop:0", "top_k", "Drop:1", "top_k", Path + ":Drop:1 repeats 'top_k'.")]
    [InlineData("Drop:0", "max_tokens", "Rename:max_tokens", "x", Path + ":Drop:0 drops 'max_tokens', which " + Path + ":Rename:max_tokens renames")]
    [InlineData("ReplaceValues:stream_options:a", "b", null, null, Path + ":ReplaceValues:stream_options: model, messages, stream and stream_options")]
    [InlineData("ReplaceValues:top_k:1", "2", "Drop:0", "top_k", Path + ":ReplaceValues:top_k replaces values of a field that Drop removes.")]
    [InlineData("ReplaceValues:max_completion_tokens:1", "2", "Rename:max_tokens", "max_completion_tokens", Path + ":ReplaceValues:max_completion_tokens names a field that " + Path + ":Rename:max_tokens renames to")]
    [InlineData("ReplaceValues:reasoning_effort:low", "low", null, null, Path + ":ReplaceValues:reasoning_effort:low replaces the value with itself.")]
    [InlineData("ReplaceValues:top\u00e9:x", "y", null, null, Path + ":ReplaceValues:top\u00e9 must name a plain JSON property name")]
    [InlineData("Headers:X Bad", "1", null, null, Path + ":Headers:X Bad is not a valid header name")]
    [InlineData("Headers:X-Tenant", "a\r\nInjected: 1", null, null, Path + ":Headers:X-Tenant must be printable ASCII, without CR, LF")]
    [InlineData("Headers:X-Tenant", "caf\u00e9", null, null, Path + ":Headers:X-Tenant must be printable ASCII")]
    [InlineData("Headers:X-Key", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k)", null, null, Path + ":Headers:X-Key is a Key Vault reference that was not resolved")]
    public void Validate_NamesTheSetting(string key, string value, string? otherKey, string? otherValue, string expected)
    {
        var settings = new List<(string, string?)> { (key, value) };
        if (otherKey is not null)
        {
            settings.Add((otherKey, otherValue));
        }
        var problems = Problems([.. settings]);
        Assert.Contains(problems, problem => problem.StartsWith(expected, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => RequestAdaptation.Create(Bind([.. settings]), Path));
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("api-key")]
    [InlineData("Host")]
    [InlineData("content-length")]
    [InlineData("Content-Type")]
    [InlineData("Content-Encoding")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Connection")]
    [InlineData("Keep-Alive")]
    [InlineData("Proxy-Authorization")]
    [InlineData("TE")]
    [InlineData("Trailer")]
    [InlineData("Upgrade")]
    [InlineData("X-Request-Id")]
    public void Validate_RefusesHeadersTheGatewayOwns_WithoutEchoingTheValue(string name)
    {
        var problems = Problems(("Headers:" + name, "sk-secret-value"));
        var problem = Assert.Single(problems);
        Assert.StartsWith(Path + ":Headers:" + name + ": the gateway sets this header itself", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-value", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooManyFields_Fails()
    {
        var settings = Enumerable.Range(0, AdaptationValidator.MaxFields + 1).Select(i => ($"Drop:{i}", (string?)$"f{i}")).ToArray();
        Assert.Contains(Path + " adapts 17 fields; at most 16 are allowed.", Problems(settings));
        Assert.Empty(Problems(settings[..AdaptationValidator.MaxFields]));
    }

    [Fact]
    public void Validate_ATypicalConfiguration_HasNoProblems() =>
        Assert.Empty(Problems(
            ("Rename:max_tokens", "max_completion_tokens"),
            ("Drop:0", "top_k"),
            ("Drop:1", "thinking"),
            ("Drop:2", "stream_options"),
            ("ReplaceValues:reasoning_effort:minimal", "low"),
            ("ReplaceValues:reasoning_effort:xhigh", ""),
            ("Headers:anthropic-version", "2023-06-01"),
            ("Headers:User-Agent", "tollgate")));

    [Fact]
    public void CollectEdits_MergeWithTheRewritersSplices_OneCopy()
    {
        var body = """{"top_k":1,"model":"client","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""u8.ToArray();
        Assert.Null(ChatRequestParser.TryParse(body, out var request));
        var buffer = new BodyEditBuffer();
        Span<BodyEdit> edits = buffer;
        var count = Standard.CollectEdits(body, edits);
        Assert.Equal(2, count);
        edits[count++] = new BodyEdit(request.ModelValue.Start, request.ModelValue.Length, RequestRewriter.EncodeModel("up"));
        // The rewriter's stream_options member goes in at the object's start, where the dropped top_k began.
        edits[count++] = new BodyEdit(request.RootStart + 1, 0, "\"stream_options\":{\"include_usage\":true},"u8.ToArray());
        BodyEdits.Sort(edits[..count]);

        var output = new ArrayBufferWriter<byte>();
        BodyEdits.Apply(body, edits[..count], output);
        Assert.Equal("""{"stream_options":{"include_usage":true},"model":"up","max_completion_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Apply_OverlappingOrOutOfRangeEdits_Throw()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => BodyEdits.Apply(body, [new BodyEdit(1, 3, default), new BodyEdit(2, 1, default)], output));
        Assert.Throws<ArgumentException>(() => BodyEdits.Apply(body, [new BodyEdit(5, 3, default)], output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void CollectEdits_TooLittleRoom_Throws() =>
        Assert.Throws<ArgumentException>(() => Standard.CollectEdits("{}"u8, new BodyEdit[Standard.MaxEdits - 1]));

    [Fact]
    public void RepeatedKey_OnlyTheFirstIsAdapted_AndNothingOverflows()
    {
        // The parser refuses such bodies; the adaptation still must not misbehave on one.
        Assert.Equal("""{"model":"m","top_k":2,"max_completion_tokens":3,"max_tokens":4}""",
            Adapt(Standard, """{"top_k":1,"model":"m","top_k":2,"max_tokens":3,"max_tokens":4}"""));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomBodies_AdaptedDomEqualsTheExpectedTransformation(int configuration)
    {
        var (settings, rename, drop, replace) = configuration switch
        {
            0 => (new (string, string?)[]
                {
                    ("Rename:max_tokens", "max_completion_tokens"), ("Drop:0", "top_k"), ("Drop:1", "thinking"), ("Drop:2", "stream_options"),
                    ("ReplaceValues:reasoning_effort:minimal", "low"), ("ReplaceValues:reasoning_effort:xhigh", ""),
                },
                new Dictionary<string, string> { ["max_tokens"] = "max_completion_tokens" },
                new HashSet<string> { "top_k", "thinking", "stream_options" },
                new Dictionary<string, Dictionary<string, string>> { ["reasoning_effort"] = new() { ["minimal"] = "low", ["xhigh"] = "" } }),
            1 => (new (string, string?)[]
                {
                    ("Rename:max_completion_tokens", "max_tokens"), ("Rename:reasoning_effort", "effort"), ("Drop:0", "metadata"),
                    ("ReplaceValues:reasoning_effort:minimal", "low"), ("ReplaceValues:reasoning_effort:high", ""),
                },
                new Dictionary<string, string> { ["max_completion_tokens"] = "max_tokens", ["reasoning_effort"] = "effort" },
                new HashSet<string> { "metadata" },
                new Dictionary<string, Dictionary<string, string>> { ["reasoning_effort"] = new() { ["minimal"] = "low", ["high"] = "" } }),
            _ => (new (string, string?)[]
                {
                    ("Drop:0", "top_k"), ("Drop:1", "thinking"), ("Drop:2", "n"), ("Drop:3", "x"), ("Drop:4", "temperature"), ("Drop:5", "tools"),
                },
                new Dictionary<string, string>(),
                new HashSet<string> { "top_k", "thinking", "n", "x", "temperature", "tools" },
                new Dictionary<string, Dictionary<string, string>>()),
        };
        var adaptation = Compile(settings);
        var random = new Random(20240611 + configuration);
        for (var iteration = 0; iteration < 400; iteration++)
        {
            var body = RandomBodies.Object(random);
            var output = new ArrayBufferWriter<byte>();
            adaptation.Adapt(body, output);

            var input = JsonNode.Parse(body)!.AsObject();
            var expected = new JsonObject();
            foreach (var (name, value) in input)
            {
                var newName = name;
                var newValue = value?.DeepClone();
                if (drop.Contains(name))
                {
                    continue;
                }
                if (replace.TryGetValue(name, out var values) && value is JsonValue text && text.GetValueKind() == JsonValueKind.String &&
                    values.TryGetValue(text.GetValue<string>(), out var replacement))
                {
                    if (replacement.Length == 0)
                    {
                        continue;
                    }
                    newValue = JsonValue.Create(replacement);
                }
                if (rename.TryGetValue(name, out var target))
                {
                    if (input.ContainsKey(target))
                    {
                        continue;
                    }
                    newName = target;
                }
                expected[newName] = newValue;
            }

            var adapted = Encoding.UTF8.GetString(output.WrittenSpan);
            string actual;
            try
            {
                using var document = JsonDocument.Parse(output.WrittenMemory, new JsonDocumentOptions { AllowDuplicateProperties = false });
                actual = JsonNode.Parse(output.WrittenSpan)!.ToJsonString();
            }
            catch (JsonException e)
            {
                Assert.Fail($"iteration {iteration}: not valid JSON ({e.Message})\ninput:  {Encoding.UTF8.GetString(body)}\noutput: {adapted}");
                return;
            }
            if (actual != expected.ToJsonString())
            {
                Assert.Fail($"iteration {iteration}\ninput:    {Encoding.UTF8.GetString(body)}\noutput:   {adapted}\nexpected: {expected.ToJsonString()}");
            }
            if (input.Select(member => member.Key).All(name => !drop.Contains(name) && !rename.ContainsKey(name) && !replace.ContainsKey(name)))
            {
                Assert.Equal(Encoding.UTF8.GetString(body), adapted);
            }
        }
    }

    /// <summary>Random JSON objects: keys the rules name (top level and nested), every value shape, unusual number spellings, indented or not, keys sometimes escaped.</summary>
    private static class RandomBodies
    {
        private static readonly string[] Keys =
        [
            "model", "messages", "max_tokens", "max_completion_tokens", "top_k", "thinking", "reasoning_effort", "effort", "stream_options",
            "temperature", "n", "metadata", "tools", "x", "caf\u00e9", "top_k_", "Top_K",
        ];

        private static readonly string[] Strings = ["minimal", "low", "high", "xhigh", "h\u00e9 \"q\" \U0001F600", "{\"top_k\":1}", "", "max_tokens"];

        private static readonly string[] Numbers = ["0", "-0", "1.0E+0", "1.50e3", "-0.0e-0", "123456789012345678901234567890", "4e1", "0.5"];

        /// <summary>Escapes '_' and 'k' (in keys and strings alike): <c>top_k</c> is written <c>top\u005F\u006B</c>.</summary>
        private static readonly JavaScriptEncoder Escaping = CreateEscaping();

        public static byte[] Object(Random random)
        {
            var output = new ArrayBufferWriter<byte>();
            var options = new JsonWriterOptions
            {
                Indented = random.Next(3) == 0,
                Encoder = random.Next(3) == 0 ? Escaping : null,
            };
            using (var writer = new Utf8JsonWriter(output, options))
            {
                WriteObject(writer, random, 0);
            }
            return output.WrittenSpan.ToArray();
        }

        private static JavaScriptEncoder CreateEscaping()
        {
            var settings = new TextEncoderSettings(UnicodeRanges.BasicLatin);
            settings.ForbidCharacters('_', 'k');
            return JavaScriptEncoder.Create(settings);
        }

        private static void WriteObject(Utf8JsonWriter writer, Random random, int depth)
        {
            writer.WriteStartObject();
            var keys = Keys.OrderBy(_ => random.Next()).Take(random.Next(depth == 0 ? Keys.Length + 1 : 4)).ToArray();
            foreach (var key in keys)
            {
                writer.WritePropertyName(key);
                WriteValue(writer, random, depth + 1);
            }
            writer.WriteEndObject();
        }

        private static void WriteValue(Utf8JsonWriter writer, Random random, int depth)
        {
            switch (random.Next(depth > 3 ? 5 : 7))
            {
                case 0:
                    writer.WriteRawValue(Numbers[random.Next(Numbers.Length)]);
                    break;
                case 1:
                case 2:
                    writer.WriteStringValue(Strings[random.Next(Strings.Length)]);
                    break;
                case 3:
                    writer.WriteBooleanValue(random.Next(2) == 0);
                    break;
                case 4:
                    writer.WriteNullValue();
                    break;
                case 5:
                    WriteObject(writer, random, depth);
                    break;
                default:
                    writer.WriteStartArray();
                    for (var i = random.Next(4); i > 0; i--)
                    {
                        WriteValue(writer, random, depth + 1);
                    }
                    writer.WriteEndArray();
                    break;
            }
        }
    }
}
