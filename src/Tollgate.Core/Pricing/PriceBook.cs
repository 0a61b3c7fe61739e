using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Errors;
using Tollgate.Storage;

namespace Tollgate.Pricing;

/// <summary>
/// The prices in force: configuration's, plus those stored through the admin API (re-read every
/// <c>PriceRefreshInterval</c>, and at once on this instance after a change). Loaded before the host serves.
/// </summary>
/// <param name="store">The stored prices; null without storage (configuration's prices only).</param>
public sealed partial class PriceBook(IOptions<PricingOptions> options, TimeProvider time, ILogger<PriceBook> logger, PriceStore? store) : IHostedService
{
    private readonly PricingOptions _options = options.Value;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private StaleRefresher? _refresher;
    private readonly FailureStreak _failures = new();
    private volatile Snapshot _snapshot = new(new PriceList(options.Value.Prices), new HashSet<ModelPrice>(), store is null, long.MinValue);

    public PriceList Prices => _snapshot.List;

    public string Currency => _options.Currency;

    /// <summary>True for a price that came from the admin API rather than configuration.</summary>
    public bool IsStored(ModelPrice price) => _snapshot.Stored.Contains(price);

    /// <summary>
    /// The price of a request for <paramref name="model"/> on <paramref name="upstream"/> that starts at <paramref name="at"/>.
    /// Returns the answer that refuses it when it has no price (and unpriced models are not served, or stored prices
    /// could not be read yet); otherwise null, with <paramref name="price"/> null when it is served unpriced.
    /// </summary>
    public ApiError? Price(string model, string upstream, DateTimeOffset at, out ModelPrice? price)
    {
        var snapshot = _snapshot;
        RefreshIfStale(snapshot);
        price = snapshot.List.Find(model, upstream, at);
        if (price is not null)
        {
            return null;
        }
        if (!snapshot.StoredLoaded)
        {
            return ApiErrors.PricingUnavailable;
        }
        if (_options.AllowUnpriced)
        {
            LogUnpriced(logger, Diagnostics.LogValue.Safe(model));
            return null;
        }
        return ApiErrors.ModelNotPriced(model);
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

    /// <summary>Reads the stored prices now and puts configuration's and theirs in force.</summary>
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
            _snapshot = new Snapshot(new PriceList(_options.Prices.Concat(stored)), stored.ToHashSet(), true, time.GetTimestamp());
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

    /// <summary>Stores a price (replacing one with the same model, upstream and start) and puts it in force here at once.</summary>
    public async Task SetAsync(ModelPrice price, CancellationToken cancellationToken)
    {
        var target = store ?? throw new InvalidOperationException("Stored prices need Tollgate:Storage.");
        await target.SaveAsync(price, cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a stored price; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string model, string? upstream, DateTimeOffset effectiveFrom, CancellationToken cancellationToken)
    {
        var target = store ?? throw new InvalidOperationException("Stored prices need Tollgate:Storage.");
        var deleted = await target.DeleteAsync(model, upstream, effectiveFrom, cancellationToken).ConfigureAwait(false);
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

    private StaleRefresher Refresher => _refresher ??= new StaleRefresher(time, _options.PriceRefreshInterval, RefreshAsync, RefreshFailed);

    private sealed record Snapshot(PriceList List, HashSet<ModelPrice> Stored, bool StoredLoaded, long LoadedAt);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Serving model {Model} without a price (Billing:AllowUnpriced): its requests are recorded as unpriced")]
    private static partial void LogUnpriced(ILogger logger, string model);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Stored prices could not be read ({Error}); the prices in force stay and the read is tried again, logged once until one succeeds")]
    private static partial void LogRefreshFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Stored prices are read again after {Failures} failed reads")]
    private static partial void LogRefreshRecovered(ILogger logger, int failures);
}
