using System.Text.Json.Serialization;

namespace Tollgate.Billing;

/// <summary>
/// <c>GET /v1/usage</c>: the calling key's spend and tokens in the current calendar month (UTC), by model, with its
/// budget and limits and when the period resets. Figures are those rolled up by <see cref="AsOf"/>.
/// </summary>
public sealed record KeyUsageResponse(
    string Object,
    string KeyId,
    string Owner,
    UsagePeriodResponse Period,
    string Currency,
    decimal Spend,
    BudgetResponse? Budget,
    LimitsResponse Limits,
    long Requests,
    long Errors,
    TokensResponse Tokens,
    long UnpricedRequests,
    IReadOnlyList<ModelUsageResponse> Models,
    DateTimeOffset? AsOf);

public sealed record UsagePeriodResponse(DateTimeOffset Start, DateTimeOffset End, DateTimeOffset ResetsAt);

/// <summary>The monthly budget and what is left of it (never below zero).</summary>
public sealed record BudgetResponse(decimal Monthly, decimal Remaining);

/// <summary>Rate limits; null for none.</summary>
public sealed record LimitsResponse(long? RequestsPerMinute, long? TokensPerMinute);

public sealed record TokensResponse(long Prompt, long CachedPrompt, long Completion, long Reasoning, long Total);

public sealed record ModelUsageResponse(string Model, long Requests, long Errors, TokensResponse Tokens, decimal Cost, long UnpricedRequests);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(KeyUsageResponse))]
internal sealed partial class KeyUsageJsonContext : JsonSerializerContext;
