namespace Tollgate.Quota;

/// <summary>Budget accounts in this process only: what a gateway without <c>Tollgate:Storage</c> uses (one instance).</summary>
public sealed class MemoryQuotaStore : IQuotaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<QuotaAccountId, AccountState> _accounts = [];
    private readonly Dictionary<(QuotaAccountId Account, string Instance), (LeaseState Lease, DateTimeOffset Expires)> _leases = [];

    public Task<QuotaDecision> ExchangeAsync(QuotaAccountId account, string instance, DateTimeOffset leaseExpires,
        Func<AccountState, LeaseState, QuotaDecision> decide, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = _accounts.GetValueOrDefault(account, AccountState.Empty);
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
            foreach (var ((account, instance), (lease, expires)) in _leases.Where(l => l.Value.Expires < now).ToList())
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
}
