namespace Tollgate.Usage;

/// <summary>One stored usage page: where it is, when the service stored it, and its records.</summary>
public sealed record StoredUsagePage(string PartitionKey, string RowKey, DateTimeOffset StoredAt, IReadOnlyList<UsageRecord> Records);
