using System.Text.Json;
using System.Text.Json.Serialization;
using Tollgate.Keys;
using Tollgate.Usage;

namespace Tollgate.Admin;

/// <summary>
/// POST <c>/manage/keys</c>. <see cref="Budget"/> is a budget object (see <see cref="BudgetParser"/>), read after the
/// rest so its errors name its fields; <see cref="MonthlyBudgetUsd"/> is the legacy shorthand for a hard monthly budget
/// of that amount, in the billing currency. Not both.
/// </summary>
public sealed record CreateKeyRequest(
    string? Name,
    string? Owner,
    string[]? Models,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    JsonElement? Budget,
    decimal? MonthlyBudgetUsd,
    DateTimeOffset? ExpiresAt);

public sealed record KeyResponse(
    string Id,
    string Name,
    string Owner,
    string DisplayPrefix,
    string State,
    string[]? Models,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    BudgetResponse? Budget,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastUsedAt)
{
    public static KeyResponse From(ApiKey key) => new(
        key.Id, key.Name, key.Owner, key.DisplayPrefix, key.State.ToString().ToLowerInvariant(),
        key.AllowedModels?.Order(StringComparer.Ordinal).ToArray(), key.RequestsPerMinute, key.TokensPerMinute,
        key.Budget is { } budget ? BudgetResponse.From(budget) : null, key.ExpiresAt, key.CreatedAt, key.LastUsedAt);
}

/// <summary>A budget as the admin API shows it: the amount in the billing currency (<c>Tollgate:Billing:Currency</c>), tokens, period and mode by name.</summary>
public sealed record BudgetResponse(decimal? Amount, long? Tokens, string Period, string Mode)
{
    public static BudgetResponse From(Budget budget) => new(budget.Amount, budget.Tokens, Budget.Name(budget.Period), Budget.Name(budget.Mode));
}

public sealed record CreatedKeyResponse(KeyResponse Key, string Secret, string Notice);

public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Data, string? ContinuationToken);

public sealed record UsageRecordResponse(
    string RequestId,
    string KeyId,
    string Owner,
    string RequestedModel,
    string UpstreamModel,
    string Upstream,
    bool Stream,
    long PromptTokens,
    long CompletionTokens,
    long CachedTokens,
    long ReasoningTokens,
    string Source,
    int Status,
    string Outcome,
    string? ErrorCode,
    string? FinishReason,
    double? TimeToFirstTokenMs,
    double DurationMs,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    decimal Cost,
    string? PriceVersion,
    bool Unpriced,
    int Attempts)
{
    public static UsageRecordResponse From(UsageRecord r) => new(
        r.RequestId, r.KeyId, r.Owner, r.RequestedModel, r.UpstreamModel, r.Upstream, r.Stream, r.PromptTokens, r.CompletionTokens,
        r.CachedTokens, r.ReasoningTokens, r.Source.ToString().ToLowerInvariant(), r.Status, r.Outcome.ToString(), r.ErrorCode,
        r.FinishReason, r.TimeToFirstTokenMs, r.DurationMs, r.StartedAt, r.CompletedAt, r.Cost, r.PriceVersion, r.Unpriced, r.Attempts);
}

public sealed record UsageListResponse(IReadOnlyList<UsageRecordResponse> Data, string? ContinuationToken);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(BudgetResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(KeyListResponse))]
[JsonSerializable(typeof(UsageListResponse))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
