using System.Globalization;
using Tollgate.Json;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>
/// The Table Storage shape of a usage record. PartitionKey <c>{yyyyMMddHHmm, 5-minute floor}_{keyId}_{shard}</c>
/// (the shard is derived from the request id, so a retried write lands on the same row); RowKey the request id.
/// </summary>
public static class UsageEntity
{
    public const int BucketMinutes = 5;

    public static string Bucket(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var floored = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute - utc.Minute % BucketMinutes, 0, DateTimeKind.Utc);
        return floored.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
    }

    public static string PartitionKey(UsageRecord record, int shards) =>
        $"{Bucket(record.StartedAt)}_{SafeKeyId(record.KeyId)}_{Shard(record.RequestId, shards).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Key ids are [A-Za-z0-9_-]; anything else is replaced by a hash so no raw value becomes a key.</summary>
    public static string SafeKeyId(string keyId) =>
        keyId.Length is > 0 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? keyId
            : "h" + StableHash.Fnv1a64(keyId).ToString("x16", CultureInfo.InvariantCulture);

    private static int Shard(string requestId, int shards) =>
        shards <= 1 ? 0 : (int)(StableHash.Fnv1a64(requestId) % (ulong)shards);

    public static TableEntity ToEntity(UsageRecord record, int shards)
    {
        var entity = new TableEntity(PartitionKey(record, shards), record.RequestId)
        {
            ["KeyId"] = record.KeyId,
            ["Owner"] = record.Owner,
            ["RequestedModel"] = record.RequestedModel,
            ["UpstreamModel"] = record.UpstreamModel,
            ["Upstream"] = record.Upstream,
            ["Stream"] = record.Stream,
            ["PromptTokens"] = record.PromptTokens,
            ["CompletionTokens"] = record.CompletionTokens,
            ["CachedTokens"] = record.CachedTokens,
            ["ReasoningTokens"] = record.ReasoningTokens,
            ["Source"] = record.Source.ToString().ToLowerInvariant(),
            ["Status"] = record.Status,
            ["Outcome"] = record.Outcome.ToString(),
            ["ErrorCode"] = record.ErrorCode,
            ["FinishReason"] = record.FinishReason,
            ["TtftMs"] = record.TimeToFirstTokenMs,
            ["DurationMs"] = record.DurationMs,
            ["StartedAt"] = record.StartedAt,
            ["CompletedAt"] = record.CompletedAt,
        };
        return entity;
    }

    public static UsageRecord FromEntity(TableEntity entity) => new()
    {
        RequestId = entity.RowKey,
        KeyId = entity.GetString("KeyId") ?? "",
        Owner = entity.GetString("Owner") ?? "",
        RequestedModel = entity.GetString("RequestedModel") ?? "",
        UpstreamModel = entity.GetString("UpstreamModel") ?? "",
        Upstream = entity.GetString("Upstream") ?? "",
        Stream = entity.GetBoolean("Stream") ?? false,
        PromptTokens = entity.GetInt64("PromptTokens") ?? 0,
        CompletionTokens = entity.GetInt64("CompletionTokens") ?? 0,
        CachedTokens = entity.GetInt64("CachedTokens") ?? 0,
        ReasoningTokens = entity.GetInt64("ReasoningTokens") ?? 0,
        Source = Enum.TryParse<UsageSource>(entity.GetString("Source"), ignoreCase: true, out var source) ? source : UsageSource.None,
        Status = entity.GetInt32("Status") ?? 0,
        Outcome = Enum.TryParse<RequestOutcome>(entity.GetString("Outcome"), out var outcome) ? outcome : RequestOutcome.Completed,
        ErrorCode = entity.GetString("ErrorCode"),
        FinishReason = entity.GetString("FinishReason"),
        TimeToFirstTokenMs = entity.GetDouble("TtftMs"),
        DurationMs = entity.GetDouble("DurationMs") ?? 0,
        StartedAt = entity.GetDateTimeOffset("StartedAt") ?? default,
        CompletedAt = entity.GetDateTimeOffset("CompletedAt") ?? default,
    };
}
