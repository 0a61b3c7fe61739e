namespace Tollgate.Errors;

/// <summary>An OpenAI-shaped error: <c>{"error":{"message","type","param","code"}}</c> plus the HTTP status it travels with.</summary>
public sealed record ApiError(int Status, string Type, string Code, string Message, string? Param = null)
{
    /// <summary>Seconds the caller should wait before trying again, sent as <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds { get; init; }
}
