namespace Tollgate.Quota;

/// <summary>
/// One shared budget account: a key's or an owner's budget in one window. In storage its partition is <c>k{key id}</c>
/// or <c>o{SHA-256 of the owner}</c> (no user text becomes a key), its row <c>a-{window}</c>, and each instance's lease
/// on it the row <c>l-{window}-{instance}</c> beside it, so one transaction covers both.
/// </summary>
public sealed class QuotaAccountId : IEquatable<QuotaAccountId>
{
    public QuotaAccountId(BudgetScope scope, string subject, BudgetWindow window)
    {
        Scope = scope;
        Subject = subject;
        Window = window;
        Partition = scope == BudgetScope.Key ? "k" + subject : "o" + OwnerBudgetStore.OwnerId(subject);
        AccountRow = "a-" + window.Key;
    }

    public BudgetScope Scope { get; }

    /// <summary>The key id, or the owner name.</summary>
    public string Subject { get; }

    public BudgetWindow Window { get; }

    public string Partition { get; }

    public string AccountRow { get; }

    public string LeaseRow(string instance) => "l-" + Window.Key + "-" + instance;

    public bool Equals(QuotaAccountId? other) => other is not null && Partition == other.Partition && AccountRow == other.AccountRow;

    public override bool Equals(object? obj) => Equals(obj as QuotaAccountId);

    public override int GetHashCode() => HashCode.Combine(Partition, AccountRow);

    public override string ToString() => Partition + "/" + AccountRow;
}

/// <summary>
/// A shared account as stored: <see cref="Spent"/> is what instances reported as spent; <see cref="Held"/> is what
/// their leases hold (reservations of requests in flight and unused allowances). What is left of a budget is its
/// limit less both. <see cref="Warned"/>: the budget being used up has been logged in this window.
/// </summary>
public sealed record AccountState(QuotaAmount Spent, QuotaAmount Held, bool Warned)
{
    public static readonly AccountState Empty = new(QuotaAmount.Zero, QuotaAmount.Zero, false);
}

/// <summary>
/// One instance's lease on an account as stored: what it holds there now, and what it has reported as spent in all
/// (so a report sent twice is counted once).
/// </summary>
public readonly record struct LeaseState(QuotaAmount Held, QuotaAmount Reported);

/// <summary>What an exchange with the shared account decided: the account and this instance's lease as they are to be stored, and the outcome.</summary>
public readonly record struct QuotaDecision(AccountState Account, LeaseState Lease, BudgetMath.Outcome Result);

/// <summary>Shared budget accounts: Table Storage across instances (<see cref="TableQuotaStore"/>), or memory for one process.</summary>
public interface IQuotaStore
{
    /// <summary>
    /// Reads the account and this instance's lease, asks <paramref name="decide"/> what they become, and stores both at once;
    /// when another instance changed either meanwhile, reads again and asks again. <paramref name="decide"/> must be pure.
    /// </summary>
    Task<QuotaDecision> ExchangeAsync(QuotaAccountId account, string instance, DateTimeOffset leaseExpires,
        Func<AccountState, LeaseState, QuotaDecision> decide, CancellationToken cancellationToken);

    /// <summary>The account as stored, or null when nothing was ever reserved against it.</summary>
    Task<AccountState?> ReadAsync(QuotaAccountId account, CancellationToken cancellationToken);

    /// <summary>
    /// Gives back what leases that expired before <paramref name="now"/> held (their instances died or stalled), keeping
    /// what each reported, and removes leases that have held nothing for a day; returns how many were released.
    /// </summary>
    Task<int> ReleaseExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
