using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Keys;

/// <summary>The key cache over a real keys table (Azurite), with a manual clock.</summary>
public sealed class CachingKeyStoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    private (TableKeyStore Store, CachingKeyStore Cache, ManualTimeProvider Clock, CountingTableStore Counter) Create(ITableStore? tables = null)
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        var counter = new CountingTableStore(tables ?? azurite.CreateClient());
        var options = Options.Create(new TollgateOptions());
        var store = new TableKeyStore(counter, new KeyHasher(options), clock, Options.Create(new StorageOptions { TablePrefix = azurite.UniquePrefix() }), options);
        return (store, new CachingKeyStore(store, clock, Ttl), clock, counter);
    }

    [Fact]
    public async Task VerifiedKey_IsServedFromCacheUntilTheTtl_ThenReread()
    {
        var (store, cache, clock, counter) = Create();
        var created = await store.CreateAsync(new NewKey("k", "owner-1"), Ct);
        var hash = new KeyHasher(Options.Create(new TollgateOptions())).Compute(created.Text);

        Assert.Equal(created.Key.Id, (await cache.FindAsync(hash, Ct))?.Id);
        var reads = counter.Reads;
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await cache.FindAsync(hash, Ct));
        }
        Assert.Equal(reads, counter.Reads);

        await store.SetStateAsync(created.Key.Id, KeyState.Revoked, Ct);
        Assert.NotNull(await cache.FindAsync(hash, Ct)); // still cached: revocation takes up to the TTL
        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var after = await cache.FindAsync(hash, Ct);
        Assert.Equal(KeyState.Revoked, after?.State);
        Assert.False(after!.IsUsableAt(clock.GetUtcNow()));
    }

    [Fact]
    public async Task UnknownKey_IsRememberedBriefly()
    {
        var (_, cache, clock, counter) = Create();
        var unknown = KeyHash.Compute("tg-unknown");
        Assert.Null(await cache.FindAsync(unknown, Ct));
        var reads = counter.Reads;
        Assert.Null(await cache.FindAsync(unknown, Ct));
        Assert.Equal(reads, counter.Reads);
        clock.Advance(Ttl / 5 + TimeSpan.FromSeconds(1));
        Assert.Null(await cache.FindAsync(unknown, Ct));
        Assert.True(counter.Reads > reads);
    }

    [Fact]
    public async Task StorageDown_KnownKeyKeepsWorking_UnknownKeyIsUnavailableNot401()
    {
        var failing = new CountingTableStore(azurite.CreateClient());
        var (store, cache, clock, _) = Create(failing);
        var created = await store.CreateAsync(new NewKey("k", "owner-2"), Ct);
        var hash = new KeyHasher(Options.Create(new TollgateOptions())).Compute(created.Text);
        Assert.NotNull(await cache.FindAsync(hash, Ct));

        failing.Fail = true;
        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(created.Key.Id, (await cache.FindAsync(hash, Ct))?.Id);
        await Assert.ThrowsAsync<KeyStoreUnavailableException>(() => cache.FindAsync(KeyHash.Compute("tg-never-seen"), Ct).AsTask());

        clock.Advance(Ttl * 10);
        await Assert.ThrowsAsync<KeyStoreUnavailableException>(() => cache.FindAsync(hash, Ct).AsTask());
    }

    [Fact]
    public async Task ConcurrentMisses_ShareOneLookup()
    {
        var (store, cache, _, counter) = Create();
        var created = await store.CreateAsync(new NewKey("k", "owner-3"), Ct);
        var hash = new KeyHasher(Options.Create(new TollgateOptions())).Compute(created.Text);
        var reads = counter.Reads;
        var found = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => cache.FindAsync(hash, Ct).AsTask()));
        Assert.All(found, k => Assert.Equal(created.Key.Id, k?.Id));
        Assert.InRange(counter.Reads - reads, 1, 5);
    }

    [Fact]
    public async Task LookupsThatCompleteSynchronously_DoNotPinAStaleAnswer()
    {
        // A store that answers at once: the shared lookup finishes before it could be published.
        var rows = new SynchronousRows();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        var options = Options.Create(new TollgateOptions());
        var store = new TableKeyStore(rows, new KeyHasher(options), clock, Options.Create(new StorageOptions()), options);
        var cache = new CachingKeyStore(store, clock, Ttl);
        var hash = KeyHash.Compute("tg-sync");
        var key = new ApiKey { Id = "k1", Hash = hash, State = KeyState.Active };
        rows.Row = KeyEntity.ToLookupRow(key);

        Assert.Equal(KeyState.Active, (await cache.FindAsync(hash, Ct))?.State);
        rows.Row = KeyEntity.ToLookupRow(new ApiKey { Id = "k1", Hash = hash, State = KeyState.Revoked });
        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(KeyState.Revoked, (await cache.FindAsync(hash, Ct))?.State);
        rows.Row = null;
        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Null(await cache.FindAsync(hash, Ct));
    }

    /// <summary>Answers point reads synchronously from one settable row.</summary>
    private sealed class SynchronousRows : ITableStore
    {
        public TableEntity? Row { get; set; }

        public Task CreateTableIfNotExistsAsync(string table, CancellationToken ct) => Task.CompletedTask;
        public Task<TableEntity?> GetEntityAsync(string table, string pk, string rk, CancellationToken ct) =>
            Task.FromResult(Row is not null && Row.PartitionKey == pk && Row.RowKey == rk ? Row : null);
        public Task<string?> InsertAsync(string table, TableEntity entity, CancellationToken ct) => throw new NotSupportedException();
        public Task<string?> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode, CancellationToken ct) => throw new NotSupportedException();
        public Task<string?> UpdateAsync(string table, TableEntity entity, TableUpdateMode mode, string ifMatch, CancellationToken ct) => Task.FromResult<string?>("etag");
        public Task DeleteAsync(string table, string pk, string rk, string ifMatch, CancellationToken ct) => throw new NotSupportedException();
        public Task<TablePage> QueryAsync(string table, TableQuery query, string? token, CancellationToken ct) => throw new NotSupportedException();
        public Task SubmitTransactionAsync(string table, IReadOnlyList<TableAction> actions, CancellationToken ct) => throw new NotSupportedException();
    }

    /// <summary>Counts point reads, and can fail every call like a storage outage.</summary>
    private sealed class CountingTableStore(ITableStore inner) : ITableStore
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public bool Fail { get; set; }

        private void Check()
        {
            if (Fail)
            {
                throw new TableStorageException(503, "ServerBusy", "simulated outage");
            }
        }

        public Task CreateTableIfNotExistsAsync(string table, CancellationToken ct) { Check(); return inner.CreateTableIfNotExistsAsync(table, ct); }

        public Task<TableEntity?> GetEntityAsync(string table, string pk, string rk, CancellationToken ct)
        {
            Check();
            Interlocked.Increment(ref _reads);
            return inner.GetEntityAsync(table, pk, rk, ct);
        }

        public Task<string?> InsertAsync(string table, TableEntity entity, CancellationToken ct) { Check(); return inner.InsertAsync(table, entity, ct); }
        public Task<string?> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode, CancellationToken ct) { Check(); return inner.UpsertAsync(table, entity, mode, ct); }
        public Task<string?> UpdateAsync(string table, TableEntity entity, TableUpdateMode mode, string ifMatch, CancellationToken ct) { Check(); return inner.UpdateAsync(table, entity, mode, ifMatch, ct); }
        public Task DeleteAsync(string table, string pk, string rk, string ifMatch, CancellationToken ct) { Check(); return inner.DeleteAsync(table, pk, rk, ifMatch, ct); }
        public Task<TablePage> QueryAsync(string table, TableQuery query, string? token, CancellationToken ct) { Check(); return inner.QueryAsync(table, query, token, ct); }
        public Task SubmitTransactionAsync(string table, IReadOnlyList<TableAction> actions, CancellationToken ct) { Check(); return inner.SubmitTransactionAsync(table, actions, ct); }
    }
}
