using System.Globalization;
using Azure.Data.Tables;
using Tollgate.Json;

namespace Tollgate.Usage;

/// <summary>
/// The Table Storage shape of usage: pages, each holding many records of one key and 5-minute bucket.
/// PartitionKey <c>{yyyyMMddHHmm, UTC 5-minute floor of the records' start}_{key id}</c>; RowKey
/// <c>{yyyyMMddHHmmssfff the page was formed}-{writer id}-{sequence}</c>, fixed when the page is formed, so a
/// retried write replaces the same row and never doubles a record. Properties: <c>KeyId</c>, <c>Count</c>,
/// <c>Format</c> and <c>Records</c> (binary, <see cref="UsageRecordCodec"/>, at most <see cref="MaxRecordBytes"/>).
/// </summary>
public static class UsagePage
{
    public const int BucketMinutes = 5;

    /// <summary>Under Table Storage's 64 KiB limit for one binary property (the service has refused values past 64,000 bytes).</summary>
    public const int MaxRecordBytes = 60_000;

    private static readonly long BucketTicks = TimeSpan.FromMinutes(BucketMinutes).Ticks;

    /// <summary>The UTC ticks at which the 5-minute bucket holding <paramref name="time"/> starts.</summary>
    public static long BucketStart(DateTimeOffset time) => time.UtcTicks - time.UtcTicks % BucketTicks;

    public static string Bucket(DateTimeOffset time) =>
        new DateTime(BucketStart(time), DateTimeKind.Utc).ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    public static string PartitionKey(string bucket, string keyId) => bucket + "_" + SafeKeyId(keyId);

    /// <summary>Key ids are [A-Za-z0-9_-]; anything else is replaced by a hash so no raw value becomes a key.</summary>
    public static string SafeKeyId(string keyId) =>
        keyId.Length is > 0 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? keyId
            : "h" + StableHash.Fnv1a64(keyId).ToString("x16", CultureInfo.InvariantCulture);

    public static string RowKey(DateTimeOffset formedAt, string writerId, long sequence) =>
        formedAt.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "-" + writerId + "-"
        + sequence.ToString("x8", CultureInfo.InvariantCulture);

    public static TableEntity ToEntity(string partitionKey, string rowKey, string keyId, int count, ReadOnlySpan<byte> records) =>
        new(partitionKey, rowKey)
        {
            ["KeyId"] = keyId,
            ["Count"] = count,
            ["Format"] = (int)UsageRecordCodec.Format,
            ["Records"] = records.ToArray(),
        };

    /// <summary>The records a page holds, in the order they were written.</summary>
    public static List<UsageRecord> Records(TableEntity page) =>
        UsageRecordCodec.Decode(page.GetBinary("Records") ?? [], page.GetString("KeyId") ?? "");
}
