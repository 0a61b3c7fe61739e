using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Tollgate.Proxy;
using Tollgate.Upstreams;
using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Benchmarks;

/// <summary>
/// Per-upstream request adaptation (one rename and one drop) against copying the body as it is, which is what the
/// request path does for an upstream without adaptations. The request path adapts in the parser's pass: "parse+validate,
/// recording fields" plus "adapt from the parser's records" is its cost, against "parse+validate" plus "adapt (walk +
/// copy)" for a second pass over the body.
/// </summary>
public class AdaptationBenchmarks
{
    private byte[] _body = [];
    private RequestAdaptation _adaptation = null!;
    private ArrayBufferWriter<byte> _output = null!;
    private TopLevelFields _fields = null!;
    private ChatRequest _recorded = null!;

    [Params("230 B", "100 KB")]
    public string Body { get; set; } = "230 B";

    [GlobalSetup]
    public void Setup()
    {
        if (Body == "230 B")
        {
            _body = Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","stream":true,"temperature":0.7,"user":"user-1234","max_tokens":256,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write a haiku about gateways."}],"top_k":40}""");
        }
        else
        {
            var sb = new StringBuilder("""{"model":"gpt-4o-mini","stream":false,"max_tokens":512,"tools":[{"type":"function","function":{"name":"lookup","description":"Find a document","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"messages":[""");
            for (var i = 0; sb.Length < 100_000; i++)
            {
                sb.Append(i == 0 ? "" : ",").Append("{\"role\":\"user\",\"content\":\"").Append(new string('x', 1900)).Append(" message ").Append(i).Append("\"}");
            }
            sb.Append("],\"top_k\":40}");
            _body = Encoding.UTF8.GetBytes(sb.ToString());
        }

        var options = new UpstreamAdaptationOptions { Drop = ["top_k"] };
        options.Rename["max_tokens"] = "max_completion_tokens";
        _adaptation = RequestAdaptation.Create(options);
        _output = new ArrayBufferWriter<byte>(_body.Length + 64);
        _fields = TopLevelFields.Of([_adaptation])!;
        if (ChatRequestParser.TryParse(_body, _fields, out _recorded) is { } error)
        {
            throw new InvalidOperationException("benchmark body refused: " + error.Message);
        }

        // The adapted body must differ from the copy, or the comparison measures nothing.
        if (Adapt() != _body.Length + "_completion".Length - ",\"top_k\":40".Length || AdaptFromRecords() != Adapt())
        {
            throw new InvalidOperationException("benchmark body not adapted as expected");
        }
    }

    [Benchmark(Baseline = true, Description = "copy as is")]
    public int Copy()
    {
        _output.ResetWrittenCount();
        _output.Write(_body);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "adapt (walk + copy)")]
    public int Adapt()
    {
        _output.ResetWrittenCount();
        _adaptation.Adapt(_body, _output);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "adapt from the parser's records (+ copy)")]
    public int AdaptFromRecords()
    {
        _output.ResetWrittenCount();
        var buffer = new BodyEditBuffer();
        Span<BodyEdit> edits = buffer;
        var count = _adaptation.CollectEdits(_body, _recorded.Members, edits);
        BodyEdits.Apply(_body, edits[..count], _output);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "collect edits only (walk)")]
    public int Collect()
    {
        var buffer = new BodyEditBuffer();
        return _adaptation.CollectEdits(_body, buffer);
    }

    /// <summary>The floor under any Utf8JsonReader pass: reading the top-level members and skipping their values.</summary>
    [Benchmark(Description = "reader walk only (floor)")]
    public int Walk()
    {
        var reader = new Utf8JsonReader(_body);
        var members = 0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            reader.Skip();
            members++;
        }
        return members;
    }

    [Benchmark(Description = "parse+validate (scale)")]
    public bool Parse() => ChatRequestParser.TryParse(_body, out _) is null;

    [Benchmark(Description = "parse+validate, recording fields")]
    public bool ParseRecording()
    {
        var ok = ChatRequestParser.TryParse(_body, _fields, out var request) is null;
        request.ReleaseMembers();
        return ok;
    }
}
