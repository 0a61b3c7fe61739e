using Microsoft.Extensions.Logging;

namespace Tollgate.Upstreams;

/// <summary>Log events of upstream credentials: expiry times and error kinds, never a token.</summary>
internal static partial class UpstreamCredentialLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug,
        Message = "Upstream {Upstream}: Entra ID token acquired for {Scope}, expires {ExpiresOn:o}, refreshed from {RefreshAt:o}")]
    public static partial void TokenAcquired(ILogger logger, string upstream, string scope, DateTimeOffset expiresOn, DateTimeOffset refreshAt);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "Upstream {Upstream}: Entra ID token refresh failed ({ErrorType}: {Error}); the cached token is served until {UsableUntil:o}, next attempt after {NextAttempt:o}")]
    public static partial void RefreshFailed(ILogger logger, string upstream, string errorType, string error, DateTimeOffset usableUntil, DateTimeOffset nextAttempt);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning,
        Message = "Upstream {Upstream}: no Entra ID token could be acquired ({ErrorType}: {Error}); requests fail until it can, next attempt after {NextAttempt:o}")]
    public static partial void TokenUnavailable(ILogger logger, string upstream, string errorType, string error, DateTimeOffset nextAttempt);
}
