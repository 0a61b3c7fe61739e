using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// Owner budgets in force: configuration's (<c>Tollgate:Quota:OwnerBudgets</c>) with those stored through the admin API
/// over them, re-read every <c>BudgetRefreshInterval</c> and at once on this instance after a change. Loaded before
/// the host serves; until stored ones could be read, <see cref="Loaded"/> is false and budgets refuse (503) rather than
/// let an owner spend past a budget nobody could read.
/// </summary>
/// <param name="store">The stored owner budgets; null without storage (<c>Tollgate:Storage</c>), when only configuration's apply.</param>
public sealed partial class OwnerBudgets(IOptions<QuotaOptions> options, TimeProvider time, ILogger<OwnerBudgets> logger, OwnerBudgetStore? store) : IHostedService
{
    private readonly QuotaOptions _options = options.Value;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private StaleRefresher? _refresher;
    private readonly FailureStreak _failures = new();
    private volatile Snapshot _snapshot = new(new Dictionary<string, Budget>(options.Value.OwnerBudgets, StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), store is null, long.MinValue);

    /// <summary>
    /// The stored owner budgets have been read (always true without storage). Asking starts another read in the
    /// background when due, so an instance that started while storage was out catches up within a second of it returning.
    /// </summary>
    public bool Loaded
    {
        get
        {
            var snapshot = _snapshot;
            RefreshIfStale(snapshot);
            return snapshot.StoredLoaded;
        }
    }

    /// <summary>The owner's budget, or null when it has none.</summary>
    public Budget? For(string owner)
    {
        var snapshot = _snapshot;
        RefreshIfStale(snapshot);
        return owner.Length > 0 && snapshot.Budgets.TryGetValue(owner, out var budget) && budget.IsSet ? budget : null;
    }

    /// <summary>The key's own budget and its owner's, when either has one (cheap: no I/O).</summary>
    public (Budget? Key, Budget? Owner) BudgetsOf(ApiKey key) =>
        (key.Budget is { IsSet: true } own ? own : null, key.Owner.Length > 0 ? For(key.Owner) : null);

    /// <summary>Every owner budget in force, by owner, and whether it was stored through the admin API.</summary>
    public IEnumerable<(string Owner, Budget Budget, bool Stored)> All()
    {
        var snapshot = _snapshot;
        return snapshot.Budgets.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => (b.Key, b.Value, snapshot.Stored.Contains(b.Key)));
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Out, stalled or refusing: start anyway; requests that need what could not be read get a 503 until a read succeeds.
            Failed(e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reads the stored owner budgets now and puts them in force over configuration's.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return;
        }
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await store.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            var budgets = new Dictionary<string, Budget>(_options.OwnerBudgets, StringComparer.Ordinal);
            foreach (var (owner, budget) in stored)
            {
                budgets[owner] = budget;
            }
            _snapshot = new Snapshot(budgets, stored.Keys.ToHashSet(StringComparer.Ordinal), true, time.GetTimestamp());
            if (_failures.Succeed() is > 0 and var failures)
            {
                LogRefreshRecovered(logger, failures);
            }
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Stores an owner's budget (replacing theirs) and puts it in force here at once.</summary>
    public async Task SetAsync(string owner, Budget budget, CancellationToken cancellationToken)
    {
        var target = store ?? throw new InvalidOperationException("Stored owner budgets need Tollgate:Storage.");
        await target.SaveAsync(owner, budget, cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes an owner's stored budget (configuration's, if any, applies again); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string owner, CancellationToken cancellationToken)
    {
        var target = store ?? throw new InvalidOperationException("Stored owner budgets need Tollgate:Storage.");
        var deleted = await target.DeleteAsync(owner, cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private void RefreshIfStale(Snapshot snapshot)
    {
        if (store is not null)
        {
            Refresher.RefreshIfStale(snapshot.LoadedAt, snapshot.StoredLoaded);
        }
    }

    /// <summary>Keeps what is in force after a failed background read, until the next interval.</summary>
    private void RefreshFailed(Exception e)
    {
        Failed(e);
        _snapshot = _snapshot with { LoadedAt = time.GetTimestamp() };
    }

    /// <summary>Logs a failed read at Warning once per streak of failures (a refresh is tried every second until the first succeeds).</summary>
    private void Failed(Exception e)
    {
        if (_failures.Fail())
        {
            LogRefreshFailed(logger, FailureStreak.Reason(e));
        }
    }

    private StaleRefresher Refresher => _refresher ??= new StaleRefresher(time, _options.BudgetRefreshInterval, RefreshAsync, RefreshFailed);

    private sealed record Snapshot(Dictionary<string, Budget> Budgets, HashSet<string> Stored, bool StoredLoaded, long LoadedAt);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Stored owner budgets could not be read ({Error}); the owner budgets in force stay and the read is tried again, logged once until one succeeds")]
    private static partial void LogRefreshFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Stored owner budgets are read again after {Failures} failed reads")]
    private static partial void LogRefreshRecovered(ILogger logger, int failures);
}
