using System.Text.Json.Serialization;
using Tollgate.Keys;
using Tollgate.Usage;

namespace Tollgate.Admin;

public sealed record CreateKeyRequest(
    string? Name,
    string? Owner,
    string[]? Models,
    long? RequestsPerMinute,
    long? TokensPerMinute,
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
    decimal? MonthlyBudgetUsd,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastUsedAt)
{
    public static KeyResponse From(ApiKey key) => new(
        key.Id, key.Name, key.Owner, key.DisplayPrefix, key.State.ToString().ToLowerInvariant(),
        key.AllowedModels?.Order(StringComparer.Ordinal).ToArray(), key.RequestsPerMinute, key.TokensPerMinute,
        key.MonthlyBudgetUsd, key.ExpiresAt, key.CreatedAt, key.LastUsedAt);
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
    bool Unpriced)
{
    public static UsageRecordResponse From(UsageRecord r) => new(
        r.RequestId, r.KeyId, r.Owner, r.RequestedModel, r.UpstreamModel, r.Upstream, r.Stream, r.PromptTokens, r.CompletionTokens,
        r.CachedTokens, r.ReasoningTokens, r.Source.ToString().ToLowerInvariant(), r.Status, r.Outcome.ToString(), r.ErrorCode,
        r.FinishReason, r.TimeToFirstTokenMs, r.DurationMs, r.StartedAt, r.CompletedAt, r.Cost, r.PriceVersion, r.Unpriced);
}

public sealed record UsageListResponse(IReadOnlyList<UsageRecordResponse> Data, string? ContinuationToken);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(KeyListResponse))]
[JsonSerializable(typeof(UsageListResponse))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
