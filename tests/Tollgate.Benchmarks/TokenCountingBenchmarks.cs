using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Tollgate.Usage;

namespace Tollgate.Benchmarks;

/// <summary>Counting tokens when the upstream reports none: a 1 KB chat request's prompt and a 600-byte completion (o200k_base, warm).</summary>
public class TokenCountingBenchmarks
{
    private readonly TokenCounter _counter = new(Options.Create(new TokenizerOptions()));
    private byte[] _body = null!;
    private byte[] _completion = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sentence = "Summarise the quarterly report for the board, highlighting revenue, costs and the hiring plan. ";
        _body = Encoding.UTF8.GetBytes($$"""
            {"model":"gpt-4o-mini","temperature":0.3,"messages":[{"role":"system","content":"You are a helpful, concise assistant for a finance team."},
             {"role":"user","content":"{{string.Concat(Enumerable.Repeat(sentence, 9))}}"}]}
            """);
        _completion = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Revenue grew 12% on the quarter while costs held flat. ", 11)));
        _counter.CountPrompt(_body, "gpt-4o-mini");
    }

    [Benchmark(Description = "prompt tokens of a 1 KB request")]
    public long Prompt() => _counter.CountPrompt(_body, "gpt-4o-mini");

    [Benchmark(Description = "completion tokens of 600 bytes of text")]
    public long Completion() => _counter.CountCompletion(_completion, _completion.Length, "gpt-4o-mini");
}
