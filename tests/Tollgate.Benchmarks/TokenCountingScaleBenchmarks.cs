using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Tollgate.Usage;

namespace Tollgate.Benchmarks;

/// <summary>
/// <see cref="TokenCounter.Count"/> on 1 KB to 4 MiB of ordinary and pathological text (o200k_base, warm): divide by
/// the size for the cost per KB, which stays flat (and falls past the exact-count cap).
/// </summary>
public class TokenCountingScaleBenchmarks
{
    private readonly TokenCounter _counter = new(Options.Create(new TokenizerOptions()));
    private string _text = "";

    [Params(TokenShapes.Ordinary, "one-letter", "digits", "one-cjk", "punctuation", "random-letters")]
    public string Shape { get; set; } = TokenShapes.Ordinary;

    [Params(1024, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = TokenShapes.Text(Shape, Bytes);
        _counter.Count(_text, "gpt-4o-mini");
    }

    [Benchmark(Description = "count tokens")]
    public long Count() => _counter.Count(_text, "gpt-4o-mini");
}
