using System.Text;

namespace Tollgate.Benchmarks;

/// <summary>Texts of a given UTF-8 size: ordinary prose, and the shapes a byte-pair tokenizer finds hardest.</summary>
internal static class TokenShapes
{
    public const string Ordinary = "ordinary";

    public static string Text(string shape, int bytes)
    {
        var random = new Random(19);
        switch (shape)
        {
            case Ordinary:
                var prose = new StringBuilder(bytes + 128);
                for (var i = 0; prose.Length < bytes; i++)
                {
                    prose.Append("Summarise the quarterly report for the board, highlighting revenue (up ").Append(i % 40)
                        .Append("%), costs and the hiring plan; we're behind on https://example.com/plan/").Append(i).Append(".\n");
                }
                return prose.ToString(0, bytes);
            case "one-letter":
                return new string('a', bytes);
            case "digits":
                return new string([.. Enumerable.Range(0, bytes).Select(i => (char)('0' + (i * 7 % 10)))]);
            case "one-cjk":
                return new string('中', bytes / 3);
            case "punctuation":
                return new string([.. Enumerable.Range(0, bytes).Select(i => i % 2 == 0 ? '!' : '?')]);
            case "random-letters":
                return new string([.. Enumerable.Range(0, bytes).Select(_ => (char)('a' + random.Next(26)))]);
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, null);
        }
    }
}
