namespace Tollgate.Usage;

/// <summary>
/// <c>Tollgate:Tokenizers</c>: which tiktoken encoding counts a model's tokens when the upstream reports none.
/// A model uses the entry whose name is the longest prefix of its name; a model no entry matches uses
/// <see cref="Default"/>. Encodings: <c>o200k_base</c> and <c>cl100k_base</c>.
/// </summary>
public sealed class TokenizerOptions
{
    public const string Section = "Tollgate:Tokenizers";

    public const string O200kBase = "o200k_base";
    public const string Cl100kBase = "cl100k_base";

    public static readonly IReadOnlySet<string> Encodings = new HashSet<string>(StringComparer.Ordinal) { O200kBase, Cl100kBase };

    /// <summary>The encoding of models no entry matches (new model families use o200k_base).</summary>
    public string Default { get; set; } = O200kBase;

    /// <summary>Model name (or name prefix) → encoding. Entries given in configuration add to or override these.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-3.5"] = Cl100kBase,
        ["gpt-4"] = Cl100kBase,
        ["gpt-4o"] = O200kBase,
        ["gpt-4.1"] = O200kBase,
        ["gpt-4.5"] = O200kBase,
        ["gpt-5"] = O200kBase,
        ["o1"] = O200kBase,
        ["o3"] = O200kBase,
        ["o4"] = O200kBase,
        ["text-embedding-ada-002"] = Cl100kBase,
        ["text-embedding-3"] = Cl100kBase,
    };
}
