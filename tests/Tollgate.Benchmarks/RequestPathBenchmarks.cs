using System.Text;
using BenchmarkDotNet.Attributes;
using Tollgate.Json;
using Tollgate.Proxy;

namespace Tollgate.Benchmarks;

/// <summary>Parse + validate + rewrite of a request body: the per-request work before forwarding.</summary>
public class RequestPathBenchmarks
{
    private byte[] _small = [];
    private byte[] _large = [];
    private byte[] _model = [];
    private PooledBufferWriter _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _small = Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","stream":true,"temperature":0.7,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write a haiku about gateways."}]}""");
        var sb = new StringBuilder("""{"model":"gpt-4o-mini","stream":false,"max_tokens":512,"tools":[{"type":"function","function":{"name":"lookup","description":"Find a document","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"messages":[""");
        for (var i = 0; sb.Length < 100_000; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append("{\"role\":\"user\",\"content\":\"").Append(new string('x', 1900)).Append(" message ").Append(i).Append("\"}");
        }
        sb.Append("]}");
        _large = Encoding.UTF8.GetBytes(sb.ToString());
        _model = RequestRewriter.EncodeModel("mock");
        _output = new PooledBufferWriter(128 * 1024);
    }

    [Benchmark(Description = "parse+validate+rewrite, 230 B body")]
    public int Small() => Run(_small);

    [Benchmark(Description = "parse+validate+rewrite, 100 KB body")]
    public int Large() => Run(_large);

    private int Run(byte[] body)
    {
        if (ChatRequestParser.TryParse(body, out var request) is not null)
        {
            throw new InvalidOperationException("benchmark body rejected");
        }
        _output.Dispose();
        _output = new PooledBufferWriter(body.Length + 64);
        RequestRewriter.Rewrite(body, request, _model, _output);
        return _output.WrittenCount;
    }
}
