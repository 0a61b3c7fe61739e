namespace Tollgate.Quota;

/// <summary>Budget accounts in this process only: what a gateway without <c>Tollgate:Storage</c> uses (one instance).</summary>
public sealed class MemoryQuotaStore : IQuotaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<QuotaAccountId, AccountState> _accounts = [];
    private readonly Dictionary<(QuotaAccountId Account, string Instance), (QuotaAmount Held, DateTimeOffset Expires)> _leases = [];

    public Task<QuotaDecision<T>> ExchangeAsync<T>(QuotaAccountId account, string instance, DateTimeOffset leaseExpires,
        Func<AccountState, QuotaAmount, QuotaDecision<T>> decide, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = _accounts.GetValueOrDefault(account, AccountState.Empty);
            var lease = _leases.TryGetValue((account, instance), out var held) ? held.Held : QuotaAmount.Zero;
            var decision = decide(state, lease);
            _accounts[account] = decision.Account;
            if (decision.LeaseHeld.IsZero)
            {
                _leases.Remove((account, instance));
            }
            else
            {
                _leases[(account, instance)] = (decision.LeaseHeld, leaseExpires);
            }
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
            var expired = _leases.Where(l => l.Value.Expires < now).ToList();
            foreach (var ((account, instance), (held, _)) in expired)
            {
                var state = _accounts.GetValueOrDefault(account, AccountState.Empty);
                _accounts[account] = state with { Held = QuotaAmount.Max(QuotaAmount.Zero, state.Held - held) };
                _leases.Remove((account, instance));
            }
            return Task.FromResult(expired.Count);
        }
    }
}
