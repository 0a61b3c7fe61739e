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

/// <summary>PATCH body: absent fields stay; a field sent as null clears it (models, limits, budget, expiry).</summary>
public sealed class UpdateKeyRequest
{
    public string? Name { get; set; }
    public string[]? Models { get; set; }
    public long? RequestsPerMinute { get; set; }
    public long? TokensPerMinute { get; set; }
    public decimal? MonthlyBudgetUsd { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
}

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
    DateTimeOffset CompletedAt)
{
    public static UsageRecordResponse From(UsageRecord r) => new(
        r.RequestId, r.KeyId, r.Owner, r.RequestedModel, r.UpstreamModel, r.Upstream, r.Stream, r.PromptTokens, r.CompletionTokens,
        r.CachedTokens, r.ReasoningTokens, r.Source.ToString().ToLowerInvariant(), r.Status, r.Outcome.ToString(), r.ErrorCode,
        r.FinishReason, r.TimeToFirstTokenMs, r.DurationMs, r.StartedAt, r.CompletedAt);
}

public sealed record UsageListResponse(IReadOnlyList<UsageRecordResponse> Data, string? ContinuationToken);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(UpdateKeyRequest))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(KeyListResponse))]
[JsonSerializable(typeof(UsageListResponse))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
