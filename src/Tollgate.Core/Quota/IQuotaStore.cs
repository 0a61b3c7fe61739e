namespace Tollgate.Quota;

/// <summary>Shared budget accounts: Table Storage across instances (<see cref="TableQuotaStore"/>), or memory for one process.</summary>
public interface IQuotaStore
{
    /// <summary>
    /// Reads the account and this instance's lease, asks <paramref name="decide"/> what they become, and stores both at once;
    /// when another instance changed either meanwhile, reads again and asks again. <paramref name="decide"/> must be pure.
    /// For a rate-limit minute (<see cref="Keys.BudgetPeriod.Minute"/>) the leases of other instances that expired before
    /// <paramref name="now"/> are given back in the same write, before deciding: a dead instance's share returns within
    /// the minute, not at the timer's next run.
    /// </summary>
    Task<QuotaDecision> ExchangeAsync(QuotaAccountId account, string instance, DateTimeOffset now, DateTimeOffset leaseExpires,
        Func<AccountState, LeaseState, QuotaDecision> decide, CancellationToken cancellationToken);

    /// <summary>The account as stored, or null when nothing was ever reserved against it.</summary>
    Task<AccountState?> ReadAsync(QuotaAccountId account, CancellationToken cancellationToken);

    /// <summary>
    /// Gives back what leases that expired before <paramref name="now"/> held (their instances died or stalled), keeping
    /// what each reported, and removes leases that have held nothing for a day; returns how many were released.
    /// </summary>
    Task<int> ReleaseExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the accounts and leases of rate-limit minutes that ended before <paramref name="before"/> (nothing reads
    /// them again), so a key's minutes do not pile up in storage; returns how many rows were removed.
    /// </summary>
    Task<int> RemoveEndedMinutesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
