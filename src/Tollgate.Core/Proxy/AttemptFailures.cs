using Tollgate.Errors;
using Tollgate.Quota;
using Tollgate.Routing;

namespace Tollgate.Proxy;

/// <summary>
/// What the failed attempts of one request amount to, for the answer when no deployment served it. One per forwarded
/// request; the soonest <c>Retry-After</c> is kept as UTC ticks so that the object stays as small as it can.
/// </summary>
internal sealed class AttemptFailures
{
    private long _soonestTicks;
    private bool _hasSoonest;
    private bool _rateLimited;
    private bool _any;
    private ProxyError _error = ProxyError.UpstreamUnreachable;
    private ApiError? _answer;

    /// <param name="soonest">The soonest end of a <c>Retry-After</c> among the deployments the plan left out.</param>
    /// <param name="rateLimited">One of those was rate limited (429) rather than unavailable.</param>
    public AttemptFailures(DateTimeOffset? soonest, bool rateLimited)
    {
        _hasSoonest = soonest.HasValue;
        _soonestTicks = soonest.GetValueOrDefault().UtcTicks;
        _rateLimited = rateLimited;
    }

    /// <summary>The exception of the last failure, when one caused it.</summary>
    public Exception? Exception { get; private set; }

    public void Add(ProxyError error, ApiError? answer, Exception? exception)
    {
        _any = true;
        _error = error;
        _answer = answer;
        Exception = exception;
    }

    public void RetryAfter(DateTimeOffset until, bool rateLimited)
    {
        _rateLimited |= rateLimited;
        if (!_hasSoonest || until.UtcTicks < _soonestTicks)
        {
            _hasSoonest = true;
            _soonestTicks = until.UtcTicks;
        }
    }

    /// <summary>
    /// The most truthful answer when no deployment served the request: while one will be back at a known time, 429
    /// with the shortest <c>Retry-After</c> when any was rate limited, else 503 with it; otherwise the last failure
    /// (or 503 when no deployment could be tried at all).
    /// </summary>
    public (ProxyError, ApiError?) Answer(ModelRoute route, DateTimeOffset now)
    {
        var model = ApiErrors.Truncate(route.ClientModel, 128);
        if (_hasSoonest && new DateTimeOffset(_soonestTicks, TimeSpan.Zero) is var until && until > now)
        {
            var wait = until - now;
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            var answer = _rateLimited
                ? ApiErrors.RateLimited($"Every deployment of model '{model}' is rate limited or unavailable. Try again in {RateLimitHeaders.Duration(wait)}.", seconds)
                : ApiErrors.UpstreamUnavailable($"Every deployment of model '{model}' is unavailable. Try again in {RateLimitHeaders.Duration(wait)}.") with { RetryAfterSeconds = seconds };
            return (ProxyError.UpstreamFailed, answer with { RetryAfterMilliseconds = (long)Math.Ceiling(wait.TotalMilliseconds) });
        }
        return _any ? (_error, _answer) : (ProxyError.UpstreamUnreachable, ApiErrors.UpstreamUnavailable(
            $"Every deployment of model '{model}' is unavailable right now. Try again later."));
    }
}
