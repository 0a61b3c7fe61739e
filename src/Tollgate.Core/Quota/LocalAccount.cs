using Tollgate.Keys;
namespace Tollgate.Quota;

/// <summary>This instance's side of one shared account. Figures change under <see cref="Gate"/>; exchanges one at a time under <see cref="Io"/>.</summary>
internal sealed class LocalAccount(QuotaAccountId id)
{
    public Lock Gate { get; } = new();
    public SemaphoreSlim Io { get; } = new(1, 1);
    public QuotaAccountId Id { get; } = id;
    public Budget? Budget { get; set; }

    /// <summary>An exchange is under way: its figures are about to change, so requests wait for it.</summary>
    public bool IoBusy { get; set; }

    /// <summary>What this instance's lease holds in the shared account.</summary>
    public QuotaAmount Held { get; set; }

    /// <summary>Reserved by requests in flight.</summary>
    public QuotaAmount Reserved { get; set; }

    /// <summary>What finished requests here cost in all, since the account was first used on this instance.</summary>
    public QuotaAmount Settled { get; set; }

    /// <summary>How much of <see cref="Settled"/> the shared account has (the lease's report total at the last exchange).</summary>
    public QuotaAmount Confirmed { get; set; }

    /// <summary>Spent by finished requests, not yet reported (part of <see cref="Held"/>).</summary>
    public QuotaAmount Unreported => Settled - Confirmed;

    /// <summary>Holds nothing, has nothing in flight and nothing to report.</summary>
    public bool IsEmpty => Held.IsZero && Reserved.IsZero && Settled == Confirmed;

    /// <summary>Until then the lease is surely alive (renewed well before it expires), so the allowance may be used in memory.</summary>
    public DateTimeOffset LeaseValidUntil { get; set; }

    public DateTimeOffset LastUsed { get; set; }
    public DateTimeOffset RenewAt { get; set; }

    /// <summary>The last exchange found the budget over its limit (a soft budget then serves without asking again).</summary>
    public bool KnownOver { get; set; }

    /// <summary>Forgotten by the instance: a request that finds it gets a fresh one.</summary>
    public bool Retired { get; set; }

    /// <summary>A hard budget refused a request: until then, requests the last known room cannot cover are refused without asking storage.</summary>
    public DateTimeOffset RefuseUntil { get; set; }

    /// <summary>An exchange with the shared account has succeeded (so <see cref="Room"/> is known).</summary>
    public bool Exchanged { get; set; }

    /// <summary>Rate limits: the shared account could not be reached; until then requests use the local fallback without asking.</summary>
    public DateTimeOffset UnreachableUntil { get; set; }

    /// <summary>Rate limits: what was admitted in this window on the local fallback while the shared account was out.</summary>
    public QuotaAmount Fallback { get; set; }

    /// <summary>The most this instance could hold as of the last exchange: the limit less what was spent and what other instances hold.</summary>
    public QuotaAmount Room { get; set; }

    /// <summary>The last known room covers the requests in flight and <paramref name="want"/> in every part the budget limits.</summary>
    public bool FitsRoom(QuotaAmount want, Budget budget) => FitsRoomMoney(want, budget) && (budget.Tokens is null || Reserved.Tokens + want.Tokens <= Room.Tokens);

    /// <summary>The last known room covers the money part (so a refusal is for tokens).</summary>
    public bool FitsRoomMoney(QuotaAmount want, Budget budget) => budget.Amount is null || Reserved.Money + want.Money <= Room.Money;

    /// <summary>The unused allowance covers <paramref name="want"/> in every part the budget limits.</summary>
    public bool FitsFree(QuotaAmount want, Budget budget)
    {
        var free = Held - Reserved - Unreported;
        return (budget.Amount is null || free.Money >= want.Money) && (budget.Tokens is null || free.Tokens >= want.Tokens);
    }
}
