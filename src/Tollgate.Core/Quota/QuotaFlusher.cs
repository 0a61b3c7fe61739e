using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// Every <c>FlushInterval</c> reports what this instance's finished requests spent to the shared accounts and renews
/// its leases; gives back allowances that sat idle or belong to a window that ended; on stop, reports and gives back
/// every unused allowance. Works on the <see cref="LocalAccounts"/> that <see cref="QuotaAccounts"/> reserves from.
/// </summary>
public sealed class QuotaFlusher(LocalAccounts accounts, IOptions<QuotaOptions> options, TimeProvider time) : BackgroundService
{
    private readonly QuotaOptions _options = options.Value;

    /// <summary>
    /// Reports spending and renews leases every <c>FlushInterval</c>; on stop, reports and gives back every unused allowance.
    /// Nothing but the host stopping ends the loop: a flush that fails is logged and the next tick tries again.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(final: false, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // FlushAsync handles storage failures per account; whatever else escapes must not end the loop.
                    accounts.Unreachable(BudgetScope.Key, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes once more.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // Not the host's token: by now it may have run out while requests drained, and this is the last chance to report.
        await FlushAsync(final: true, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Reports what finished requests spent, renews leases, and gives back allowances that sat idle, belong to a window
    /// that ended, or (<paramref name="final"/>) all of them. Accounts left holding nothing are forgotten. An account
    /// that cannot be reached is logged and tried again at the next flush; nothing here throws.
    /// </summary>
    public Task FlushAsync(bool final, CancellationToken cancellationToken)
    {
        accounts.ForgetEnded(time.GetUtcNow());
        return Parallel.ForEachAsync(accounts.All, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            (account, _) => FlushAsync(account, final));
    }

    private async ValueTask FlushAsync(LocalAccount account, bool final)
    {
        if (!account.Io.Wait(0, CancellationToken.None))
        {
            return; // A request is exchanging with this account right now; it reports too.
        }
        try
        {
            BudgetMath.Local local;
            Budget budget;
            bool release;
            var now = time.GetUtcNow();
            lock (account.Gate)
            {
                release = final || account.Id.Window.HasEnded(now) || now - account.LastUsed >= IdleAfter(account);
                var due = final || account.Unreported != QuotaAmount.Zero || (!account.Held.IsZero && now >= account.RenewAt)
                    || (release && account.Held != account.Reserved);
                if (account.Budget is null || !due)
                {
                    if (release && account.IsEmpty)
                    {
                        accounts.Retire(account);
                    }
                    return;
                }
                budget = account.Budget;
                // Giving the allowance back changes what requests may take from it: they wait for the answer. A plain
                // report keeps it, so requests go on taking from it meanwhile.
                account.IoBusy = release;
                local = new BudgetMath.Local(account.Settled, account.Reserved, QuotaAmount.Zero, Reserve: false, ReleaseFree: release);
            }
            try
            {
                await accounts.ExchangeAsync(account, budget, local).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Keep the figures; the next flush reports them. The lease lasts LeaseDuration meanwhile.
                accounts.Unreachable(account.Id.Scope, e);
            }
            lock (account.Gate)
            {
                account.IoBusy = false;
                var after = time.GetUtcNow();
                if (release && account.IsEmpty && (final || account.Id.Window.HasEnded(after) || after - account.LastUsed >= IdleAfter(account)))
                {
                    accounts.Retire(account);
                }
            }
        }
        finally
        {
            account.Io.Release();
        }
    }

    /// <summary>
    /// How long an allowance may sit unused before it goes back: a rate-limit minute's after one <c>FlushInterval</c>, so
    /// that a busy instance can use the key's whole limit while the others are idle; a budget's after <c>IdleRelease</c>.
    /// </summary>
    private TimeSpan IdleAfter(LocalAccount account) =>
        account.Id.Window.Period == BudgetPeriod.Minute ? _options.FlushInterval : _options.IdleRelease;
}
