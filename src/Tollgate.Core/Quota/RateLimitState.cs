namespace Tollgate.Quota;

/// <summary>A key's rate limits as one request saw them: limits, what is left, and how long until each is full again.</summary>
public readonly record struct RateLimitState(
    long? RequestLimit, long RemainingRequests, TimeSpan RequestsReset,
    long? TokenLimit, long RemainingTokens, TimeSpan TokensReset)
{
    public bool HasLimits => RequestLimit is not null || TokenLimit is not null;

    /// <summary>The request limit as header text, made once per key rather than per response.</summary>
    public string? RequestLimitText { get; init; }

    /// <summary>The token limit as header text, made once per key rather than per response.</summary>
    public string? TokenLimitText { get; init; }
}
