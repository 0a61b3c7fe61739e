using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Tollgate.Keys;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// Owner budgets set through the admin API, in one partition of the budgets table (read whole: owners are few).
/// RowKey is the SHA-256 of the owner name in hex, so no user-chosen text becomes a key; the name is a property.
/// </summary>
public sealed class OwnerBudgetStore(TableStorage storage)
{
    private const string Partition = "owner";

    private readonly TableClient _table = storage.Budgets;

    public async Task<Dictionary<string, Budget>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var budgets = new Dictionary<string, Budget>(StringComparer.Ordinal);
        try
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (row.GetString("Owner") is { } owner)
                {
                    budgets[owner] = FromEntity(row);
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No owner budget was ever stored: the table does not exist yet.
        }
        return budgets;
    }

    public async Task SaveAsync(string owner, Budget budget, CancellationToken cancellationToken)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        var row = new TableEntity(Partition, RowKey(owner))
        {
            ["Owner"] = owner,
            ["Period"] = Budget.Name(budget.Period),
            ["Mode"] = Budget.Name(budget.Mode),
        };
        if (budget.Amount is { } amount)
        {
            row["Amount"] = amount.ToString(CultureInfo.InvariantCulture);
        }
        if (budget.Tokens is { } tokens)
        {
            row["Tokens"] = tokens;
        }
        await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes an owner's stored budget; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string owner, CancellationToken cancellationToken)
    {
        try
        {
            // The SDK answers a missing row with a 404 response rather than an exception.
            using var response = await _table.DeleteEntityAsync(Partition, RowKey(owner), ETag.All, cancellationToken).ConfigureAwait(false);
            return response.Status != 404;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The hex SHA-256 of an owner name: how owners appear in table keys.</summary>
    public static string OwnerId(string owner) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)));

    private static string RowKey(string owner) => OwnerId(owner);

    private static Budget FromEntity(TableEntity row) => new()
    {
        Amount = decimal.TryParse(row.GetString("Amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : null,
        Tokens = row.GetInt64("Tokens"),
        Period = Budget.TryParse<BudgetPeriod>(row.GetString("Period"), out var period) ? period : BudgetPeriod.Month,
        Mode = Budget.TryParse<BudgetMode>(row.GetString("Mode"), out var mode) ? mode : BudgetMode.Hard,
    };
}
