using Tollgate.Storage;

namespace Tollgate.Tests.Infrastructure;

/// <summary>Reads whole tables back (every page) for assertions.</summary>
public static class TableRows
{
    /// <summary>All rows of a table; none when the table does not exist yet.</summary>
    public static async Task<List<TableEntity>> ReadAllAsync(ITableStore store, string table)
    {
        var rows = new List<TableEntity>();
        string? token = null;
        do
        {
            TablePage page;
            try
            {
                page = await store.QueryAsync(table, new TableQuery(), token, TestContext.Current.CancellationToken);
            }
            catch (TableStorageException e) when (e.IsNotFound)
            {
                return rows;
            }
            rows.AddRange(page.Entities);
            token = page.ContinuationToken;
        }
        while (token is not null);
        return rows;
    }

    /// <summary>Polls (bounded) until the table holds at least <paramref name="count"/> rows.</summary>
    public static async Task<List<TableEntity>> WaitForAsync(ITableStore store, string table, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var rows = await ReadAllAsync(store, table);
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
