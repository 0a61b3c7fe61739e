using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Tollgate.Keys;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// Budget accounts in the quotas table, shared by every instance on one storage account. An exchange reads the
/// account row and this instance's lease row in one query, and writes both in one entity-group transaction
/// guarded by their ETags: when another instance wrote either in between, the whole exchange is decided again
/// with what it wrote, so no update is ever lost. What is written are states (the lease's total reported, what it
/// holds), so an exchange sent again after its write landed counts nothing twice. Money is stored as invariant
/// decimal strings, exactly.
/// </summary>
public sealed class TableQuotaStore(TableStorage storage) : IQuotaStore
{
    private const int MaxAttempts = 64;

    /// <summary>A released lease that holds nothing is removed this long after it expired (its report total no longer matters).</summary>
    private static readonly TimeSpan KeepReleased = TimeSpan.FromDays(1);

    private readonly TableClient _table = storage.Quotas;

    public async Task<QuotaDecision> ExchangeAsync(QuotaAccountId account, string instance, DateTimeOffset now, DateTimeOffset leaseExpires,
        Func<AccountState, LeaseState, QuotaDecision> decide, CancellationToken cancellationToken)
    {
        var leaseRow = account.LeaseRow(instance);
        var minute = account.Window.Period == BudgetPeriod.Minute;
        // A budget reads its account and this instance's lease; a rate-limit minute reads every lease of the minute too
        // (as many as instances served the key in it), to give back the expired ones.
        var filter = minute
            ? TableClient.CreateQueryFilter($"PartitionKey eq {account.Partition} and (RowKey eq {account.AccountRow} or (RowKey gt {account.LeaseRow("")} and RowKey lt {LeaseRowsEnd(account)}))")
            : TableClient.CreateQueryFilter($"PartitionKey eq {account.Partition} and (RowKey eq {account.AccountRow} or RowKey eq {leaseRow})");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                TableEntity? accountEntity = null, leaseEntity = null;
                List<TableEntity>? expired = null;
                await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (row.RowKey == account.AccountRow)
                    {
                        accountEntity = row;
                    }
                    else if (row.RowKey == leaseRow)
                    {
                        leaseEntity = row;
                    }
                    else if (row.GetDateTimeOffset("Expires") < now && !ReadAmount(row, "Held").IsZero && (expired?.Count ?? 0) < MaxReleasedPerExchange)
                    {
                        (expired ??= []).Add(row);
                    }
                }
                var state = accountEntity is null ? AccountState.Empty : ReadAccount(accountEntity);
                foreach (var lease in expired ?? [])
                {
                    state = state with { Held = QuotaAmount.Max(QuotaAmount.Zero, state.Held - ReadAmount(lease, "Held")) };
                }
                var decision = decide(state,
                    leaseEntity is null ? default : new LeaseState(ReadAmount(leaseEntity, "Held"), ReadAmount(leaseEntity, "Reported")));

                var newLease = new TableEntity(account.Partition, leaseRow) { ["Expires"] = leaseExpires, ["Instance"] = instance };
                WriteAmount(newLease, "Held", decision.Lease.Held);
                WriteAmount(newLease, "Reported", decision.Lease.Reported);
                var newAccount = WriteAccount(account, decision.Account);
                var actions = new List<TableTransactionAction>(2 + (expired?.Count ?? 0))
                {
                    accountEntity is null
                        ? new TableTransactionAction(TableTransactionActionType.Add, newAccount)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, newAccount, accountEntity.ETag),
                    leaseEntity is null
                        ? new TableTransactionAction(TableTransactionActionType.Add, newLease)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, newLease, leaseEntity.ETag),
                };
                foreach (var lease in expired ?? [])
                {
                    // Guarded by its ETag: if its instance renewed it after all, the whole exchange is decided again.
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, Emptied(lease), lease.ETag));
                }
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return decision;
            }
            catch (RequestFailedException e) when (e.Status is 404 && attempt < MaxAttempts)
            {
                await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another instance wrote the account (or created it) first, or an earlier attempt of this exchange
                // landed after all: read again and decide again.
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Expired leases given back in one exchange: with the account and this instance's lease, one transaction's 100 entities.</summary>
    private const int MaxReleasedPerExchange = 98;

    /// <summary>Just past the last lease row of the account's window: <c>l-{window}.</c> (a '.' sorts right after the '-').</summary>
    private static string LeaseRowsEnd(QuotaAccountId account) => "l-" + account.Window.Key + ".";

    /// <summary>A copy of a lease that holds nothing; its report total and expiry stay.</summary>
    private static TableEntity Emptied(TableEntity lease)
    {
        var emptied = new TableEntity(lease.PartitionKey, lease.RowKey);
        CopyProperties(lease, emptied);
        WriteAmount(emptied, "Held", QuotaAmount.Zero);
        return emptied;
    }

    public async Task<int> RemoveEndedMinutesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var cutoff = BudgetWindow.Of(BudgetPeriod.Minute, before).Key;
        var filter = TableClient.CreateQueryFilter(
            $"(RowKey ge {"a-m"} and RowKey lt {"a-" + cutoff}) or (RowKey ge {"l-m"} and RowKey lt {"l-" + cutoff})");
        var removed = 0;
        try
        {
            var batch = new List<TableTransactionAction>(100);
            string? partition = null;
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (batch.Count == 100 || (partition is not null && row.PartitionKey != partition))
                {
                    removed += await DeleteAsync(batch, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }
                partition = row.PartitionKey;
                batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
            }
            removed += await DeleteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No quotas table yet: nothing to remove.
        }
        return removed;
    }

    /// <summary>Deletes one partition's rows in one transaction; rows another run removed first are simply gone.</summary>
    private async Task<int> DeleteAsync(List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }
        try
        {
            await _table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
            return batch.Count;
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // One row was already removed (two timers at once): remove the rest one by one.
            var removed = 0;
            foreach (var action in batch)
            {
                using var response = await _table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                removed += response.Status == 204 ? 1 : 0;
            }
            return removed;
        }
    }

    public async Task<AccountState?> ReadAsync(QuotaAccountId account, CancellationToken cancellationToken)
    {
        try
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(account.Partition, account.AccountRow, cancellationToken: cancellationToken).ConfigureAwait(false);
            return row.HasValue && row.Value is { } entity ? ReadAccount(entity) : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<int> ReleaseExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = new List<TableEntity>();
        try
        {
            // Budget leases only (their windows start with an upper-case letter): a rate-limit minute's expired leases are given
            // back by the next exchange with that minute, and ended minutes are removed by RemoveEndedMinutesAsync.
            var filter = TableClient.CreateQueryFilter($"RowKey ge {"l-"} and RowKey lt {"l-a"} and Expires lt {now}");
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                expired.Add(row);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return 0;
        }
        var released = 0;
        foreach (var lease in expired)
        {
            if (!ReadAmount(lease, "Held").IsZero)
            {
                released += await ReleaseAsync(lease, now, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
            else if (lease.GetDateTimeOffset("Expires") is { } expires && expires < now - KeepReleased)
            {
                using var _ = await _table.DeleteEntityAsync(lease.PartitionKey, lease.RowKey, lease.ETag, cancellationToken).ConfigureAwait(false);
            }
        }
        return released;
    }

    /// <summary>
    /// Takes what one expired lease held off its account and leaves the lease holding nothing (its report total stays),
    /// unless its instance renewed it meanwhile.
    /// </summary>
    private async Task<bool> ReleaseAsync(TableEntity lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var accountRow = "a-" + WindowOfLease(lease.RowKey);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var held = ReadAmount(lease, "Held");
                var actions = new List<TableTransactionAction>(2) { new(TableTransactionActionType.UpdateReplace, Emptied(lease), lease.ETag) };
                var account = await _table.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, accountRow, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (account.HasValue && account.Value is { } entity)
                {
                    var state = ReadAccount(entity);
                    var row = new TableEntity(entity.PartitionKey, entity.RowKey);
                    CopyProperties(entity, row);
                    WriteState(row, state with { Held = QuotaAmount.Max(QuotaAmount.Zero, state.Held - held) });
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, entity.ETag));
                }
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // The lease or its account changed: read the lease again; its instance may have renewed it.
                var fresh = await _table.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, lease.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!fresh.HasValue || fresh.Value is not { } renewed || renewed.GetDateTimeOffset("Expires") is not { } expires || expires >= now
                    || ReadAmount(renewed, "Held").IsZero)
                {
                    return false;
                }
                lease = renewed;
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
        }
    }

    private static void CopyProperties(TableEntity from, TableEntity to)
    {
        foreach (var (name, value) in from)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                to[name] = value;
            }
        }
    }

    /// <summary>The window key in a lease row <c>l-{window}-{instance}</c>.</summary>
    private static string WindowOfLease(string rowKey)
    {
        var end = rowKey.LastIndexOf('-');
        return end > 2 ? rowKey[2..end] : "";
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Random.Shared.Next(1, Math.Min(100, 5 * attempt) + 1));

    private static AccountState ReadAccount(TableEntity row) =>
        new(ReadAmount(row, "Spent"), ReadAmount(row, "Held"), row.GetBoolean("Warned") ?? false);

    private static TableEntity WriteAccount(QuotaAccountId account, AccountState state)
    {
        var row = new TableEntity(account.Partition, account.AccountRow)
        {
            ["Scope"] = account.Scope.ToString(),
            ["Subject"] = account.Subject,
            ["Window"] = account.Window.Key,
        };
        WriteState(row, state);
        return row;
    }

    private static void WriteState(TableEntity row, AccountState state)
    {
        WriteAmount(row, "Spent", state.Spent);
        WriteAmount(row, "Held", state.Held);
        row["Warned"] = state.Warned;
    }

    private static QuotaAmount ReadAmount(TableEntity row, string name) => new(
        decimal.TryParse(row.GetString(name), NumberStyles.Number, CultureInfo.InvariantCulture, out var money) ? money : 0m,
        row.GetInt64(name + "Tokens") ?? 0);

    private static void WriteAmount(TableEntity row, string name, QuotaAmount amount)
    {
        row[name] = amount.Money.ToString(CultureInfo.InvariantCulture);
        row[name + "Tokens"] = amount.Tokens;
    }
}
