using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;

namespace Tollgate.Benchmarks;

/// <summary>
/// The tokenizer given the whole text in one call, as the gateway counted before it cut text into pieces: the
/// "before" figure for <see cref="TokenCountingScaleBenchmarks"/>. Only up to 64 KB: longer pathological texts take minutes.
/// </summary>
public class TokenizerWholeBenchmarks
{
    private readonly Tokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");
    private string _text = "";

    [Params(TokenShapes.Ordinary, "one-letter", "digits", "one-cjk", "punctuation", "random-letters")]
    public string Shape { get; set; } = TokenShapes.Ordinary;

    [Params(1024, 64 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = TokenShapes.Text(Shape, Bytes);
        _tokenizer.CountTokens(_text);
    }

    [Benchmark(Description = "tokenizer, whole text")]
    public long Whole() => _tokenizer.CountTokens(_text);
}
