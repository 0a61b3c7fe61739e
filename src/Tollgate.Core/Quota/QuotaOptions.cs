namespace Tollgate.Quota;

/// <summary><c>Tollgate:Quota</c>: how quota estimates what a request may use before it has used it.</summary>
public sealed class QuotaOptions
{
    public const string Section = "Tollgate:Quota";

    /// <summary>The output a request that sets no <c>max_completion_tokens</c>/<c>max_tokens</c> is assumed to ask for, per choice.</summary>
    public long DefaultMaxOutputTokens { get; set; } = 1_000;
}
