namespace Tollgate.Errors;

/// <summary>An OpenAI-shaped error: <c>{"error":{"message","type","param","code"}}</c> plus the HTTP status it travels with.</summary>
public sealed record ApiError(int Status, string Type, string Code, string Message, string? Param = null)
{
    /// <summary>Seconds the caller should wait before trying again, sent as <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The same wait to the millisecond, sent as <c>retry-after-ms</c> (which the OpenAI SDKs prefer).</summary>
    public long? RetryAfterMilliseconds { get; init; }
}
