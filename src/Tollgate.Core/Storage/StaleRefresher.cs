namespace Tollgate.Storage;

/// <summary>
/// Re-reads something kept from storage (prices, owner budgets) in the background once what is in force is older
/// than an interval: at most one read at a time, and the request that noticed never waits for it. A read that
/// fails, whatever it threw (storage out, stalled past the SDK's timeout, refusing, a row that will not parse), is
/// handed to <c>failed</c>, which keeps what is in force until the next interval.
/// </summary>
internal sealed class StaleRefresher(TimeProvider time, TimeSpan interval, Func<CancellationToken, Task> refresh, Action<Exception> failed)
{
    private int _refreshing;

    /// <summary>Until the first read succeeds, a failed one is tried again this soon rather than after the interval.</summary>
    public static readonly TimeSpan UntilLoadedInterval = TimeSpan.FromSeconds(1);

    /// <param name="loadedAt">When what is in force was read (a <see cref="TimeProvider"/> timestamp); <see cref="long.MinValue"/> for never.</param>
    /// <param name="loaded">The stored values were read at least once; until then, reads are tried every <see cref="UntilLoadedInterval"/>.</param>
    public void RefreshIfStale(long loadedAt, bool loaded = true)
    {
        var due = loaded ? interval : UntilLoadedInterval;
        if ((loadedAt != long.MinValue && time.GetElapsedTime(loadedAt) < due) || Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }
        _ = RefreshInBackgroundAsync();
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await refresh(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failed(e);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}
