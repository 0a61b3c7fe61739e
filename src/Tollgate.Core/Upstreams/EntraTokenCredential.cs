using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Diagnostics;

namespace Tollgate.Upstreams;

/// <summary>
/// A Microsoft Entra ID access token from an Azure <see cref="TokenCredential"/>, sent as <c>Authorization: Bearer</c>.
/// The token is cached and refreshed ahead of expiry (from the credential's <see cref="AccessToken.RefreshOn"/>, or
/// <see cref="RefreshMargin"/> before it expires) by one background fetch that every caller shares, while the cached
/// token keeps being served. A failed refresh keeps the cached token in service until it expires and is retried after
/// <see cref="RetryDelay"/>; with no valid token left, requests fail with <see cref="UpstreamCredentialUnavailableException"/>.
/// </summary>
public sealed class EntraTokenCredential : UpstreamCredential
{
    /// <summary>The scope of Azure OpenAI (Cognitive Services) data-plane tokens.</summary>
    public const string DefaultScope = "https://cognitiveservices.azure.com/.default";

    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _context;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private CachedToken? _current;
    private Task<CachedToken?>? _refreshing;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;
    private Exception? _lastFailure;

    /// <param name="scope">The token scope; null or empty for <see cref="DefaultScope"/>.</param>
    public EntraTokenCredential(TokenCredential credential, TimeProvider time, string? scope = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(time);
        _credential = credential;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        Scope = string.IsNullOrWhiteSpace(scope) ? DefaultScope : scope.Trim();
        _context = new TokenRequestContext([Scope]);
    }

    public string Scope { get; }

    /// <summary>The upstream's name, for log lines.</summary>
    public string UpstreamName { get; init; } = "";

    /// <summary>Refresh once less than this remains before expiry (unless the credential asks for earlier). Five minutes.</summary>
    public TimeSpan RefreshMargin { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A token with less than this left is no longer sent: it could expire on the way. Thirty seconds.</summary>
    public TimeSpan MinimumValidity { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a failed fetch, the next one waits this long. Ten seconds.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A fetch taking longer than this counts as failed. Thirty seconds.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The fetch in flight, or a completed task; for tests.</summary>
    internal Task PendingRefresh => Volatile.Read(ref _refreshing) ?? Task.CompletedTask;

    public override ValueTask<UpstreamAuthHeader?> GetHeaderAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _current) is { } current)
        {
            var now = _time.GetUtcNow();
            if (now < current.RefreshAt)
            {
                return new(current.Header);
            }
            if (now < current.UsableUntil)
            {
                RefreshInBackground();
                return new(current.Header);
            }
        }
        return WaitForTokenAsync(cancellationToken);
    }

    public override string ToString() => $"Entra ID token from {_credential.GetType().Name} for {Scope}";

    private void RefreshInBackground()
    {
        if (Volatile.Read(ref _refreshing) is { IsCompleted: false })
        {
            return;
        }
        lock (_lock)
        {
            StartRefresh(_time.GetUtcNow());
        }
    }

    private async ValueTask<UpstreamAuthHeader?> WaitForTokenAsync(CancellationToken cancellationToken)
    {
        Task<CachedToken?>? refresh;
        lock (_lock)
        {
            if (_current is { } current && _time.GetUtcNow() < current.UsableUntil)
            {
                return current.Header;
            }
            refresh = StartRefresh(_time.GetUtcNow());
        }
        // A caller giving up does not cancel the fetch the others share.
        var fresh = refresh is null ? null : await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        return fresh?.Header ?? throw new UpstreamCredentialUnavailableException(
            $"No Microsoft Entra ID token for {Scope} could be acquired.", Volatile.Read(ref _lastFailure));
    }

    /// <summary>The fetch in flight, or a new one; null while waiting out <see cref="RetryDelay"/>. Call under the lock.</summary>
    private Task<CachedToken?>? StartRefresh(DateTimeOffset now)
    {
        if (_refreshing is { IsCompleted: false } running)
        {
            return running;
        }
        if (now < _nextAttempt)
        {
            return null;
        }
        // On the thread pool, so a credential that works synchronously for a while never holds the lock or a request.
        var started = Task.Run(FetchAsync);
        Volatile.Write(ref _refreshing, started);
        return started;
    }

    /// <summary>Fetches and caches a token; never throws (a failure is recorded and logged, and yields null).</summary>
    private async Task<CachedToken?> FetchAsync()
    {
        try
        {
            AccessToken token;
            using (var timeout = new CancellationTokenSource(FetchTimeout, _time))
            {
                token = await _credential.GetTokenAsync(_context, timeout.Token).ConfigureAwait(false);
            }
            var now = _time.GetUtcNow();
            if (string.IsNullOrEmpty(token.Token) || token.ExpiresOn - MinimumValidity <= now)
            {
                throw new InvalidOperationException("The credential returned an empty token, or one about to expire.");
            }
            var fresh = CachedToken.From(token, now, RefreshMargin, MinimumValidity);
            lock (_lock)
            {
                Volatile.Write(ref _current, fresh);
                _lastFailure = null;
                _nextAttempt = DateTimeOffset.MinValue;
            }
            UpstreamCredentialLog.TokenAcquired(_logger, UpstreamName, Scope, token.ExpiresOn, fresh.RefreshAt);
            return fresh;
        }
        catch (Exception e)
        {
            DateTimeOffset nextAttempt;
            CachedToken? current;
            lock (_lock)
            {
                nextAttempt = _time.GetUtcNow() + RetryDelay;
                _nextAttempt = nextAttempt;
                _lastFailure = e;
                current = _current;
            }
            // The message is Azure.Identity's diagnosis (which credential, which endpoint); it carries no token.
            var error = LogValue.Safe(e.Message);
            if (current is not null && _time.GetUtcNow() < current.UsableUntil)
            {
                UpstreamCredentialLog.RefreshFailed(_logger, UpstreamName, e.GetType().Name, error, current.UsableUntil, nextAttempt);
            }
            else
            {
                UpstreamCredentialLog.TokenUnavailable(_logger, UpstreamName, e.GetType().Name, error, nextAttempt);
            }
            return null;
        }
    }

    /// <summary>A token's header and when to refresh and stop sending it. Holds no <see cref="AccessToken"/>.</summary>
    private sealed class CachedToken(UpstreamAuthHeader header, DateTimeOffset refreshAt, DateTimeOffset usableUntil)
    {
        public UpstreamAuthHeader Header { get; } = header;

        public DateTimeOffset RefreshAt { get; } = refreshAt;

        public DateTimeOffset UsableUntil { get; } = usableUntil;

        public static CachedToken From(AccessToken token, DateTimeOffset now, TimeSpan refreshMargin, TimeSpan minimumValidity)
        {
            var usableUntil = token.ExpiresOn - minimumValidity;
            var refreshAt = token.ExpiresOn - refreshMargin;
            if (token.RefreshOn is { } refreshOn && refreshOn < refreshAt)
            {
                refreshAt = refreshOn;
            }
            if (refreshAt <= now)
            {
                // A short-lived token (or the credential's cache handing back the same one): refresh halfway, not on every request.
                refreshAt = now + ((usableUntil - now) / 2);
            }
            return new CachedToken(new UpstreamAuthHeader("Authorization", "Bearer " + token.Token), refreshAt, usableUntil);
        }
    }
}
