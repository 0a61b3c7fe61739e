using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;
using Tollgate.Usage;

namespace Tollgate.Tests.Usage;

public sealed class UsageLedgerTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UsageRecord Record(string id, string key = "k1", DateTimeOffset? at = null) => new()
    {
        RequestId = id,
        KeyId = key,
        Owner = "o",
        RequestedModel = "m",
        PromptTokens = 10,
        CompletionTokens = 5,
        Source = UsageSource.Reported,
        Status = 200,
        StartedAt = at ?? new DateTimeOffset(2026, 11, 22, 10, 3, 0, TimeSpan.Zero),
    };

    private TableUsageLedger CreateLedger(string prefix, int capacity = 1000) => new(
        azurite.CreateClient(),
        Options.Create(new StorageOptions { TablePrefix = prefix }),
        Options.Create(new UsageLedgerOptions { BufferCapacity = capacity, FlushInterval = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(500) }),
        TimeProvider.System,
        NullLogger<TableUsageLedger>.Instance);

    [Fact]
    public async Task RetriedWriteThatHadLanded_CountsAsSuccess_NothingDoubledNothingLost()
    {
        var prefix = azurite.UniquePrefix();
        var ledger = CreateLedger(prefix);
        await ledger.StartAsync(Ct);
        var store = azurite.CreateClient();

        // An earlier attempt landed row 7 of this batch; the retry must keep the other 29 and not fail.
        await store.CreateTableIfNotExistsAsync(ledger.TableName, Ct);
        var records = Enumerable.Range(0, 30).Select(i => Record($"req_{i:D24}")).ToList();
        await store.InsertAsync(ledger.TableName, UsageEntity.ToEntity(records[7], 4), Ct);

        foreach (var record in records)
        {
            Assert.True(ledger.TryReserve());
            ledger.Record(record);
        }
        await ledger.StopAsync(Ct);

        var rows = await TableRows.ReadAllAsync(store, ledger.TableName);
        Assert.Equal(records.Select(r => r.RequestId).Order(), rows.Select(r => r.RowKey).Order());
        Assert.Equal(0, ledger.Outstanding);
        await ledger.DisposeAsync();
    }

    [Fact]
    public async Task Reservations_AreBoundedByCapacity_AndReleasedWhenWritten()
    {
        var ledger = CreateLedger(azurite.UniquePrefix(), capacity: 3);
        await ledger.StartAsync(Ct);
        Assert.True(ledger.TryReserve());
        Assert.True(ledger.TryReserve());
        Assert.True(ledger.TryReserve());
        Assert.False(ledger.TryReserve());

        ledger.Record(Record("req_a"));
        ledger.Record(Record("req_b"));
        ledger.Record(Record("req_c"));
        for (var i = 0; i < 100 && ledger.Outstanding > 0; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal(0, ledger.Outstanding);
        Assert.True(ledger.TryReserve());
        await ledger.StopAsync(Ct);
        await ledger.DisposeAsync();
    }

    [Fact]
    public async Task ManyPartitions_AndMoreThan100PerPartition_AreAllWritten()
    {
        var ledger = CreateLedger(azurite.UniquePrefix(), capacity: 5000);
        await ledger.StartAsync(Ct);
        var records = Enumerable.Range(0, 750)
            .Select(i => Record($"req_{i:D24}", key: "k" + (i % 3), at: new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero).AddMinutes(i % 12)))
            .ToList();
        foreach (var record in records)
        {
            Assert.True(ledger.TryReserve());
            ledger.Record(record);
        }
        await ledger.StopAsync(Ct);
        var rows = await TableRows.ReadAllAsync(azurite.CreateClient(), ledger.TableName);
        Assert.Equal(750, rows.Count);
        Assert.Equal(records.Select(r => r.RequestId).Order(), rows.Select(r => r.RowKey).Order());
        Assert.True(rows.Select(r => r.PartitionKey).Distinct().Count() > 3 * 3);
        await ledger.DisposeAsync();
    }

    [Fact]
    public void PartitionKey_IsStablePerRequest_AndSpreadsAHotKey()
    {
        var records = Enumerable.Range(0, 1000).Select(i => Record($"req_{i:D24}")).ToList();
        var partitions = records.Select(r => UsageEntity.PartitionKey(r, 4)).ToList();
        Assert.Equal(partitions, records.Select(r => UsageEntity.PartitionKey(r, 4)));
        var counts = partitions.GroupBy(p => p).Select(g => g.Count()).ToList();
        Assert.Equal(4, counts.Count);
        Assert.All(counts, c => Assert.InRange(c, 150, 350));
        Assert.All(partitions, p => Assert.StartsWith("202611221000_k1_", p, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2024-02-29T23:59:59.999Z", "202402292355")]
    [InlineData("2026-12-31T23:59:59Z", "202612312355")]
    [InlineData("2027-01-01T00:00:00Z", "202701010000")]
    [InlineData("2026-11-22T10:04:59+02:00", "202611220800")]
    public void Buckets_AreFiveMinuteUtcFloors(string time, string bucket) =>
        Assert.Equal(bucket, UsageEntity.Bucket(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("key-main", "key-main")]
    [InlineData("a/b", null)]
    [InlineData("x'y", null)]
    [InlineData("", null)]
    public void KeyIdsInPartitionKeys_AreSafe(string keyId, string? expected)
    {
        var safe = UsageEntity.SafeKeyId(keyId);
        if (expected is not null)
        {
            Assert.Equal(expected, safe);
        }
        else
        {
            Assert.Matches("^h[0-9a-f]{16}$", safe);
        }
    }

    [Fact]
    public void Entity_RoundTrips_WithoutLosingFigures()
    {
        var record = Record("req_roundtrip");
        record.CachedTokens = 3;
        record.ReasoningTokens = 2;
        record.TimeToFirstTokenMs = 12.5;
        record.FinishReason = "stop";
        var back = UsageEntity.FromEntity(UsageEntity.ToEntity(record, 4));
        Assert.Equivalent(record, back);
    }
}
