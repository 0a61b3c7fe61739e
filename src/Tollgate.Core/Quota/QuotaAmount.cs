namespace Tollgate.Quota;

/// <summary>Money (in the billing currency) and tokens, counted together against a budget.</summary>
public readonly record struct QuotaAmount(decimal Money, long Tokens)
{
    public static readonly QuotaAmount Zero = default;

    public bool IsZero => Money == 0 && Tokens == 0;

    /// <remarks>Tokens saturate (<see cref="Saturating"/>): a request's worst case may be as large as <see cref="long.MaxValue"/>.</remarks>
    public static QuotaAmount operator +(QuotaAmount a, QuotaAmount b) => new(a.Money + b.Money, Saturating.Add(a.Tokens, b.Tokens));

    public static QuotaAmount operator -(QuotaAmount a, QuotaAmount b) => new(a.Money - b.Money, Saturating.Subtract(a.Tokens, b.Tokens));

    /// <summary>The larger of each part.</summary>
    public static QuotaAmount Max(QuotaAmount a, QuotaAmount b) => new(Math.Max(a.Money, b.Money), Math.Max(a.Tokens, b.Tokens));

    /// <summary>The smaller of each part.</summary>
    public static QuotaAmount Min(QuotaAmount a, QuotaAmount b) => new(Math.Min(a.Money, b.Money), Math.Min(a.Tokens, b.Tokens));
}
