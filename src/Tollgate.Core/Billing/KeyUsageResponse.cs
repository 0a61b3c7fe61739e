using System.Text.Json.Serialization;

namespace Tollgate.Billing;

/// <summary>
/// <c>GET /v1/usage</c>: the calling key's spend and tokens in the current calendar month (UTC), by model, with its
/// budgets and limits and when the period resets. Spend and tokens are those rolled up by <see cref="AsOf"/>; budgets are live.
/// </summary>
public sealed record KeyUsageResponse(
    string Object,
    string KeyId,
    string Owner,
    UsagePeriodResponse Period,
    string Currency,
    decimal Spend,
    IReadOnlyList<BudgetUsageResponse> Budgets,
    LimitsResponse Limits,
    long Requests,
    long Errors,
    TokensResponse Tokens,
    long UnpricedRequests,
    IReadOnlyList<ModelUsageResponse> Models,
    DateTimeOffset? AsOf);

public sealed record UsagePeriodResponse(DateTimeOffset Start, DateTimeOffset End, DateTimeOffset ResetsAt);

/// <summary>
/// One budget that applies to the key (its own, and its owner's) in its current window: the limits, what was spent
/// (live, not rolled up), what is held by requests in flight and instances' allowances, and what is left of the
/// limits after what was spent (never below zero). <see cref="ResetsAt"/> is null for a credit.
/// </summary>
public sealed record BudgetUsageResponse(
    string Scope,
    string Period,
    string Mode,
    DateTimeOffset? WindowStart,
    DateTimeOffset? ResetsAt,
    decimal? Amount,
    long? Tokens,
    decimal Spent,
    long SpentTokens,
    decimal Held,
    long HeldTokens,
    decimal? Remaining,
    long? RemainingTokens);

/// <summary>Rate limits; null for none.</summary>
public sealed record LimitsResponse(long? RequestsPerMinute, long? TokensPerMinute);

public sealed record TokensResponse(long Prompt, long CachedPrompt, long Completion, long Reasoning, long Total);

public sealed record ModelUsageResponse(string Model, long Requests, long Errors, TokensResponse Tokens, decimal Cost, long UnpricedRequests);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(KeyUsageResponse))]
internal sealed partial class KeyUsageJsonContext : JsonSerializerContext;
