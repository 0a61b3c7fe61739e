using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Storage;

/// <summary>Tollgate's Table client against Azurite, the real local Table service.</summary>
public sealed class TableStorageClientTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TableStorageClient Client, string Table)> NewTableAsync()
    {
        var client = azurite.CreateClient();
        var table = azurite.UniquePrefix() + "things";
        await client.CreateTableIfNotExistsAsync(table, Ct);
        await client.CreateTableIfNotExistsAsync(table, Ct); // idempotent
        return (client, table);
    }

    private static TableEntity Sample(string pk, string rk)
    {
        var entity = new TableEntity(pk, rk)
        {
            ["Text"] = "héllo 'quoted' & <tagged>",
            ["Count"] = 42L,
            ["Big"] = 9_007_199_254_740_993L,
            ["Small"] = 7,
            ["Ratio"] = 0.25,
            ["Flag"] = true,
            ["When"] = new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.Zero),
            ["Id"] = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            ["Bytes"] = new byte[] { 1, 2, 3 },
        };
        return entity;
    }

    [Fact]
    public async Task InsertThenRead_RoundTripsEveryType()
    {
        var (client, table) = await NewTableAsync();
        var etag = await client.InsertAsync(table, Sample("p1", "r1"), Ct);
        Assert.False(string.IsNullOrEmpty(etag));

        var read = await client.GetEntityAsync(table, "p1", "r1", Ct);
        Assert.NotNull(read);
        Assert.Equal("héllo 'quoted' & <tagged>", read.GetString("Text"));
        Assert.Equal(42L, read.GetInt64("Count"));
        Assert.Equal(9_007_199_254_740_993L, read["Big"]);
        Assert.Equal(7, read.GetInt32("Small"));
        Assert.Equal(0.25, read.GetDouble("Ratio"));
        Assert.True(read.GetBoolean("Flag"));
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.Zero), read.GetDateTimeOffset("When"));
        Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), read["Id"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, read["Bytes"]);
        Assert.NotNull(read.ETag);
        Assert.NotNull(read.Timestamp);
    }

    [Fact]
    public async Task GetMissing_IsNull()
    {
        var (client, table) = await NewTableAsync();
        Assert.Null(await client.GetEntityAsync(table, "nope", "nope", Ct));
    }

    [Fact]
    public async Task InsertTwice_Is409EntityAlreadyExists()
    {
        var (client, table) = await NewTableAsync();
        await client.InsertAsync(table, Sample("p", "r"), Ct);
        var error = await Assert.ThrowsAsync<TableStorageException>(() => client.InsertAsync(table, Sample("p", "r"), Ct));
        Assert.True(error.IsAlreadyExists, error.Message);
    }

    [Fact]
    public async Task ConditionalUpdate_WithStaleETag_Is412_WithCurrentETag_Succeeds()
    {
        var (client, table) = await NewTableAsync();
        var first = await client.InsertAsync(table, Sample("p", "r"), Ct);
        var second = await client.UpdateAsync(table, new TableEntity("p", "r") { ["Count"] = 43L }, TableUpdateMode.Merge, first!, Ct);
        var error = await Assert.ThrowsAsync<TableStorageException>(() =>
            client.UpdateAsync(table, new TableEntity("p", "r") { ["Count"] = 99L }, TableUpdateMode.Merge, first!, Ct));
        Assert.True(error.IsPreconditionFailed, error.Message);
        Assert.Equal("UpdateConditionNotSatisfied", error.ErrorCode);

        await client.UpdateAsync(table, new TableEntity("p", "r") { ["Count"] = 44L }, TableUpdateMode.Replace, second!, Ct);
        var read = await client.GetEntityAsync(table, "p", "r", Ct);
        Assert.Equal(44L, read!.GetInt64("Count"));
        Assert.Null(read.GetString("Text")); // replace dropped the other properties
    }

    [Fact]
    public async Task UpdateMissing_Is404()
    {
        var (client, table) = await NewTableAsync();
        var error = await Assert.ThrowsAsync<TableStorageException>(() =>
            client.UpdateAsync(table, new TableEntity("p", "missing"), TableUpdateMode.Merge, "*", Ct));
        Assert.True(error.IsNotFound, error.Message);
    }

    [Fact]
    public async Task Upsert_InsertsThenMergesOrReplaces()
    {
        var (client, table) = await NewTableAsync();
        await client.UpsertAsync(table, new TableEntity("p", "r") { ["A"] = "1" }, TableUpdateMode.Merge, Ct);
        await client.UpsertAsync(table, new TableEntity("p", "r") { ["B"] = "2" }, TableUpdateMode.Merge, Ct);
        var merged = await client.GetEntityAsync(table, "p", "r", Ct);
        Assert.Equal(("1", "2"), (merged!.GetString("A"), merged.GetString("B")));
        await client.UpsertAsync(table, new TableEntity("p", "r") { ["C"] = "3" }, TableUpdateMode.Replace, Ct);
        var replaced = await client.GetEntityAsync(table, "p", "r", Ct);
        Assert.Equal((null, "3"), (replaced!.GetString("A"), replaced.GetString("C")));
    }

    [Fact]
    public async Task Delete_RemovesTheEntity_AndMissingIs404()
    {
        var (client, table) = await NewTableAsync();
        await client.InsertAsync(table, Sample("p", "r"), Ct);
        await client.DeleteAsync(table, "p", "r", "*", Ct);
        Assert.Null(await client.GetEntityAsync(table, "p", "r", Ct));
        var error = await Assert.ThrowsAsync<TableStorageException>(() => client.DeleteAsync(table, "p", "r", "*", Ct));
        Assert.True(error.IsNotFound);
    }

    [Fact]
    public async Task KeysWithQuotesSpacesAndUnicode_AreEscaped()
    {
        var (client, table) = await NewTableAsync();
        const string pk = "it's a key ünïcode+%20";
        const string rk = "row 'one' & two";
        await client.InsertAsync(table, new TableEntity(pk, rk) { ["V"] = 1 }, Ct);
        var read = await client.GetEntityAsync(table, pk, rk, Ct);
        Assert.Equal((pk, rk), (read!.PartitionKey, read.RowKey));
    }

    [Fact]
    public async Task Query_FiltersSelectsAndPagesWithContinuation()
    {
        var (client, table) = await NewTableAsync();
        var actions = Enumerable.Range(0, 25).Select(i => new TableAction(TableActionType.Insert,
            new TableEntity("p", i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)) { ["N"] = (long)i, ["Owner"] = i % 2 == 0 ? "o'brien" : "smith", ["Extra"] = "x" })).ToList();
        await client.SubmitTransactionAsync(table, actions, Ct);

        var filter = TableFilter.And(TableFilter.Equal("PartitionKey", "p"), TableFilter.Equal("Owner", "o'brien"));
        var seen = new List<TableEntity>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await client.QueryAsync(table, new TableQuery(filter, ["N", "Owner"], Top: 5), token, Ct);
            seen.AddRange(page.Entities);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 20);

        Assert.Equal(13, seen.Count);
        Assert.True(pages >= 3);
        Assert.All(seen, e => Assert.Equal("o'brien", e.GetString("Owner")));
        Assert.All(seen, e => Assert.Null(e.GetString("Extra")));
        Assert.Equal(Enumerable.Range(0, 13).Select(i => i * 2L), seen.Select(e => e.GetInt64("N")!.Value).Order());
    }

    [Fact]
    public async Task Query_InjectionAttemptInValue_MatchesNothing()
    {
        var (client, table) = await NewTableAsync();
        await client.InsertAsync(table, new TableEntity("p", "r") { ["Owner"] = "alice" }, Ct);
        var page = await client.QueryAsync(table, new TableQuery(TableFilter.Equal("Owner", "x' or Owner ne 'x")), null, Ct);
        Assert.Empty(page.Entities);
    }

    [Fact]
    public async Task Transaction_IsAllOrNothing_AndNamesTheFailedIndex()
    {
        var (client, table) = await NewTableAsync();
        await client.InsertAsync(table, new TableEntity("p", "r3"), Ct);
        var actions = Enumerable.Range(0, 6).Select(i => new TableAction(TableActionType.Insert, new TableEntity("p", "r" + i))).ToList();

        var error = await Assert.ThrowsAsync<TableStorageException>(() => client.SubmitTransactionAsync(table, actions, Ct));
        Assert.Equal(3, error.FailedIndex);
        Assert.True(error.IsAlreadyExists, error.Message);
        Assert.Null(await client.GetEntityAsync(table, "p", "r0", Ct)); // nothing of the batch landed

        actions.RemoveAt(3);
        await client.SubmitTransactionAsync(table, actions, Ct);
        var all = await client.QueryAsync(table, new TableQuery(TableFilter.Equal("PartitionKey", "p")), null, Ct);
        Assert.Equal(6, all.Entities.Count);
    }

    [Fact]
    public async Task Transaction_MixedActions_Apply()
    {
        var (client, table) = await NewTableAsync();
        await client.InsertAsync(table, new TableEntity("p", "keep") { ["V"] = 1 }, Ct);
        await client.InsertAsync(table, new TableEntity("p", "drop") { ["V"] = 1 }, Ct);
        await client.SubmitTransactionAsync(table,
        [
            new TableAction(TableActionType.UpsertMerge, new TableEntity("p", "keep") { ["W"] = 2 }),
            new TableAction(TableActionType.Delete, new TableEntity("p", "drop")),
            new TableAction(TableActionType.UpsertReplace, new TableEntity("p", "new") { ["V"] = 3 }),
        ], Ct);
        var keep = await client.GetEntityAsync(table, "p", "keep", Ct);
        Assert.Equal((1, 2), (keep!.GetInt32("V"), keep.GetInt32("W")));
        Assert.Null(await client.GetEntityAsync(table, "p", "drop", Ct));
        Assert.Equal(3, (await client.GetEntityAsync(table, "p", "new", Ct))!.GetInt32("V"));
    }

    [Fact]
    public async Task Transaction_Limits_AreCheckedBeforeSending()
    {
        var (client, table) = await NewTableAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitTransactionAsync(table,
            Enumerable.Range(0, 101).Select(i => new TableAction(TableActionType.Insert, new TableEntity("p", "r" + i))).ToList(), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitTransactionAsync(table,
            [new TableAction(TableActionType.Insert, new TableEntity("a", "1")), new TableAction(TableActionType.Insert, new TableEntity("b", "1"))], Ct));
    }

    [Fact]
    public async Task UnreachableService_IsTransientTableStorageException()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        var client = TableStorageClient.Create(new StorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={StorageConnection.DevelopmentKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1",
        }, TimeProvider.System, options);
        var error = await Assert.ThrowsAsync<TableStorageException>(() => client.GetEntityAsync("x", "p", "r", Ct));
        Assert.True(error.IsTransient);
    }

    [Fact]
    public void ConnectionStrings_Parse()
    {
        var dev = StorageConnection.Parse("UseDevelopmentStorage=true");
        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", dev.TableEndpoint.ToString().TrimEnd('/'));
        var cloud = StorageConnection.Parse("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + StorageConnection.DevelopmentKey + ";EndpointSuffix=core.windows.net");
        Assert.Equal("https://acct.table.core.windows.net/", cloud.TableEndpoint.ToString());
        Assert.DoesNotContain(StorageConnection.DevelopmentKey, cloud.ToString(), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => StorageConnection.Parse("AccountName=acct"));
    }
}
