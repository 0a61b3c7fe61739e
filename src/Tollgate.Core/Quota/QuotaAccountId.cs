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
