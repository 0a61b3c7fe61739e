using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>Budget accounts in this process only: what a gateway without <c>Tollgate:Storage</c> uses (one instance).</summary>
public sealed class MemoryQuotaStore : IQuotaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<QuotaAccountId, AccountState> _accounts = [];
    private readonly Dictionary<(QuotaAccountId Account, string Instance), (LeaseState Lease, DateTimeOffset Expires)> _leases = [];

    public Task<QuotaDecision> ExchangeAsync(QuotaAccountId account, string instance, DateTimeOffset now, DateTimeOffset leaseExpires,
        Func<AccountState, LeaseState, QuotaDecision> decide, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = _accounts.GetValueOrDefault(account, AccountState.Empty);
            if (account.Window.Period == BudgetPeriod.Minute)
            {
                // As the table store does: other instances' expired leases on this minute are given back first.
                foreach (var ((id, other), (expired, expires)) in _leases.Where(l => l.Key.Account.Equals(account) && l.Key.Instance != instance && l.Value.Expires < now && !l.Value.Lease.Held.IsZero).ToList())
                {
                    state = state with { Held = QuotaAmount.Max(QuotaAmount.Zero, state.Held - expired.Held) };
                    _leases[(id, other)] = (expired with { Held = QuotaAmount.Zero }, expires);
                }
            }
            var lease = _leases.TryGetValue((account, instance), out var stored) ? stored.Lease : default;
            var decision = decide(state, lease);
            _accounts[account] = decision.Account;
            _leases[(account, instance)] = (decision.Lease, leaseExpires);
            return Task.FromResult(decision);
        }
    }

    public Task<AccountState?> ReadAsync(QuotaAccountId account, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_accounts.TryGetValue(account, out var state) ? state : null);
        }
    }

    public Task<int> ReleaseExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var released = 0;
            foreach (var ((account, instance), (lease, expires)) in _leases.Where(l => l.Value.Expires < now && l.Key.Account.Window.Period != BudgetPeriod.Minute).ToList())
            {
                if (lease.Held.IsZero)
                {
                    if (expires < now - TimeSpan.FromDays(1))
                    {
                        _leases.Remove((account, instance));
                    }
                    continue;
                }
                var state = _accounts.GetValueOrDefault(account, AccountState.Empty);
                _accounts[account] = state with { Held = QuotaAmount.Max(QuotaAmount.Zero, state.Held - lease.Held) };
                _leases[(account, instance)] = (lease with { Held = QuotaAmount.Zero }, expires);
                released++;
            }
            return Task.FromResult(released);
        }
    }

    public Task<int> RemoveEndedMinutesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            static bool Ended(QuotaAccountId id, DateTimeOffset before) => id.Window.Period == BudgetPeriod.Minute && id.Window.End <= before;
            var removed = 0;
            foreach (var id in _accounts.Keys.Where(id => Ended(id, before)).ToList())
            {
                removed += _accounts.Remove(id) ? 1 : 0;
            }
            foreach (var key in _leases.Keys.Where(k => Ended(k.Account, before)).ToList())
            {
                removed += _leases.Remove(key) ? 1 : 0;
            }
            return Task.FromResult(removed);
        }
    }
}
