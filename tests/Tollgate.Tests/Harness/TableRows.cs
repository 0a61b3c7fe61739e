using Azure;
using Azure.Data.Tables;
using Tollgate.Usage;

namespace Tollgate.Tests.Harness;

/// <summary>Reads whole tables back (every page) for assertions.</summary>
public static class TableRows
{
    /// <summary>All rows of a table; none when the table does not exist yet.</summary>
    public static async Task<List<TableEntity>> ReadAllAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: TestContext.Current.CancellationToken))
            {
                rows.Add(row);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
        return rows;
    }

    /// <summary>Every usage record in a usage table, unpacked from its pages.</summary>
    public static async Task<List<UsageRecord>> ReadUsageAsync(TableClient usage) =>
        (await ReadAllAsync(usage)).SelectMany(UsagePage.Records).ToList();

    /// <summary>Polls (bounded) until the usage table holds at least <paramref name="count"/> records.</summary>
    public static async Task<List<UsageRecord>> WaitForUsageAsync(TableClient usage, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var records = await ReadUsageAsync(usage);
            if (records.Count >= count || DateTime.UtcNow > deadline)
            {
                return records;
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
