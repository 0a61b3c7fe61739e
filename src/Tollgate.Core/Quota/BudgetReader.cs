using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// Describes budgets without reserving anything (for <c>/v1/usage</c>): which budgets a key has, and each one's current
/// window and shared account, with what this instance's finished requests have not yet reported counted as spent.
/// </summary>
public sealed class BudgetReader(LocalAccounts accounts, IQuotaStore store, OwnerBudgets owners, TimeProvider time)
{
    /// <summary>The key's budget and its owner's, when either has one (cheap: no I/O).</summary>
    public (Budget? Key, Budget? Owner) BudgetsOf(ApiKey key) => owners.BudgetsOf(key);

    /// <summary>The shared account of a key's or owner's budget in the window that contains now, as stored (null when never used).</summary>
    public Task<AccountState?> ReadAsync(BudgetScope scope, string subject, Budget budget, CancellationToken cancellationToken) =>
        store.ReadAsync(new QuotaAccountId(scope, subject, BudgetWindow.Of(budget.Period, time.GetUtcNow())), cancellationToken);

    /// <summary>
    /// A budget's current window and its account as this instance knows it: the stored account, with what requests
    /// finished here but not yet reported counted as spent rather than held. Other instances' unreported spending
    /// shows within their <c>FlushInterval</c>.
    /// </summary>
    public async Task<(BudgetWindow Window, AccountState Account)> DescribeAsync(BudgetScope scope, string subject, Budget budget, CancellationToken cancellationToken)
    {
        var id = new QuotaAccountId(scope, subject, BudgetWindow.Of(budget.Period, time.GetUtcNow()));
        var account = await store.ReadAsync(id, cancellationToken).ConfigureAwait(false) ?? AccountState.Empty;
        if (accounts.TryGet(id, out var local))
        {
            lock (local.Gate)
            {
                var unreported = local.Unreported;
                account = account with { Spent = account.Spent + unreported, Held = QuotaAmount.Max(QuotaAmount.Zero, account.Held - unreported) };
            }
        }
        return (id.Window, account);
    }
}
