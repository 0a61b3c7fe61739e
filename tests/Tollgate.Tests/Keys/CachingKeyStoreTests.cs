using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Keys;

/// <summary>The key cache over a real keys table (Azurite), with a manual clock.</summary>
public sealed class CachingKeyStoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    private (TableKeyAdministrator Store, CachingKeyStore Cache, ManualTimeProvider Clock, StorageHandler Counter) Create()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        var counter = new StorageHandler();
        var options = Options.Create(new KeysOptions());
        var table = new KeyTable(azurite.CreateStorage(azurite.UniquePrefix(), counter));
        var store = new TableKeyAdministrator(table, new KeyHasher(options), clock, options);
        return (store, new CachingKeyStore(new TableKeyLookup(table), clock, Ttl), clock, counter);
    }

    [Fact]
    public async Task VerifiedKey_IsServedFromCacheUntilTheTtl_ThenReread()
    {
        var (store, cache, clock, counter) = Create();
        var created = await store.CreateAsync(new NewKey("k", "owner-1"), Ct);
        var hash = new KeyHasher(Options.Create(new KeysOptions())).Compute(created.Text);

        Assert.Equal(created.Key.Id, (await cache.FindAsync(hash, Ct))?.Id);
        var reads = counter.PointReads;
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await cache.FindAsync(hash, Ct));
        }
        Assert.Equal(reads, counter.PointReads);

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
        var reads = counter.PointReads;
        Assert.Null(await cache.FindAsync(unknown, Ct));
        Assert.Equal(reads, counter.PointReads);
        clock.Advance(Ttl / 5 + TimeSpan.FromSeconds(1));
        Assert.Null(await cache.FindAsync(unknown, Ct));
        Assert.True(counter.PointReads > reads);
    }

    [Fact]
    public async Task StorageDown_KnownKeyKeepsWorking_UnknownKeyIsUnavailableNot401()
    {
        var (store, cache, clock, failing) = Create();
        var created = await store.CreateAsync(new NewKey("k", "owner-2"), Ct);
        var hash = new KeyHasher(Options.Create(new KeysOptions())).Compute(created.Text);
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
        var hash = new KeyHasher(Options.Create(new KeysOptions())).Compute(created.Text);
        var reads = counter.PointReads;
        var found = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => cache.FindAsync(hash, Ct).AsTask()));
        Assert.All(found, k => Assert.Equal(created.Key.Id, k?.Id));
        Assert.InRange(counter.PointReads - reads, 1, 5);
    }

    [Fact]
    public async Task LookupsThatCompleteSynchronously_DoNotPinAStaleAnswer()
    {
        // A store that answers at once: the shared lookup finishes before it could be published.
        var rows = new SynchronousRows();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        var lookup = new TableKeyLookup(new KeyTable(azurite.CreateStorage("sync", new StorageHandler(rows.Answer))));
        var cache = new CachingKeyStore(lookup, clock, Ttl);
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

    /// <summary>Answers every Table request at once (a completed task) from one settable row: a point read finds it or 404s.</summary>
    private sealed class SynchronousRows
    {
        public TableEntity? Row { get; set; }

        public HttpResponseMessage Answer(HttpRequestMessage request)
        {
            var row = Row;
            var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
            if (request.Method != HttpMethod.Get || row is null || !path.Contains($"(PartitionKey='{row.PartitionKey}',RowKey='{row.RowKey}')", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(request.Method == HttpMethod.Get ? HttpStatusCode.NotFound : HttpStatusCode.NoContent) { RequestMessage = request };
            }
            var body = new Dictionary<string, object?>(row.Where(p => p.Key is not ("odata.etag" or "Timestamp")).Select(p => KeyValuePair.Create(p.Key, (object?)(p.Value is DateTimeOffset d ? d.ToString("O") : p.Value))));
            var response = new HttpResponseMessage(HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"),
            };
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"1\"", isWeak: true);
            return response;
        }
    }
}
