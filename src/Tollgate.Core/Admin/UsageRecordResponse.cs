using Tollgate.Usage;

namespace Tollgate.Admin;

/// <summary>One usage record as GET <c>/manage/keys/{id}/usage</c> shows it.</summary>
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
