using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Tollgate.Routing;

/// <summary>Why a deployment is left out of a request's plan right now.</summary>
public enum DeploymentState
{
    Available,

    /// <summary>It answered 429 or 503 with <c>Retry-After</c>, which has not passed.</summary>
    RetryAfter,

    /// <summary>Its circuit is open: too many of its recent calls failed.</summary>
    CircuitOpen,

    /// <summary>It answered 402 or a balance error, within <c>BalanceCooldown</c>.</summary>
    OutOfBalance,
}

/// <summary>
/// One deployment's health, shared by every request (and every alias) that uses it: its <c>Retry-After</c> window,
/// its balance cool-down, and its resilience pipelines, built with Microsoft.Extensions.Http.Resilience's options on
/// Polly: a circuit breaker that opens when too many of its calls fail, lets one probe through after
/// <c>BreakDuration</c>, and closes again when the probe succeeds, and, inside it, the attempt timeout of a call that
/// may fail over (<see cref="AttemptLimit"/>), which counts as a failure. Client errors (4xx other than 408), 429 and
/// clients leaving never count as failures.
/// </summary>
public sealed class DeploymentHealth
{
    private static readonly ResiliencePropertyKey<CancellationToken> ClientAbortedKey = new("tollgate.client-aborted");

    private readonly TimeProvider _time;
    private readonly ResilienceOptions _options;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResiliencePipeline<HttpResponseMessage> _streamPipeline;
    private readonly ResiliencePipeline<HttpResponseMessage>? _answerPipeline;
    private long _retryAfterUntil;
    private long _outOfBalanceUntil;
    private long _balanceWarnedUntil;
    private volatile bool _retryAfterRateLimited;

    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException"><paramref name="options"/> are invalid (<see cref="ResilienceOptions.Problem"/>).</exception>
    public DeploymentHealth(string name, ResilienceOptions options, TimeProvider time)
    {
        if (options.Problem() is { } problem)
        {
            // Named by Tollgate's own setting, before Polly's builders refuse the values in their terms.
            throw new Microsoft.Extensions.Options.OptionsValidationException(ResilienceOptions.Section, typeof(ResilienceOptions), [problem]);
        }
        _time = time;
        _options = options;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time, Name = name }
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = static args => ValueTask.FromResult(IsFailure(args.Outcome, args.Context)),
            })
            .Build();
        // The same breaker (one state) around a timeout per attempt: the breaker sees an attempt that timed out as failed.
        ResiliencePipeline<HttpResponseMessage> Timed(TimeSpan timeout) => new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time, Name = name }
            .AddPipeline(_pipeline)
            .AddTimeout(new HttpTimeoutStrategyOptions { Timeout = timeout })
            .Build();
        _streamPipeline = Timed(options.StreamAttemptTimeout);
        _answerPipeline = options.AttemptTimeout is { } answer ? Timed(answer) : null;
    }

    /// <summary>The circuit's state, for the admin listing and metrics.</summary>
    public CircuitState Circuit => _circuit.CircuitState;

    /// <summary>When the deployment's <c>Retry-After</c> ends (past when none).</summary>
    public DateTimeOffset RetryAfterUntil => new(Interlocked.Read(ref _retryAfterUntil), TimeSpan.Zero);

    /// <summary>When its balance cool-down ends (past when none).</summary>
    public DateTimeOffset OutOfBalanceUntil => new(Interlocked.Read(ref _outOfBalanceUntil), TimeSpan.Zero);

    public DeploymentState StateAt(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        if (Interlocked.Read(ref _outOfBalanceUntil) > ticks)
        {
            return DeploymentState.OutOfBalance;
        }
        if (Interlocked.Read(ref _retryAfterUntil) > ticks)
        {
            return DeploymentState.RetryAfter;
        }
        return _circuit.CircuitState is CircuitState.Open or CircuitState.Isolated ? DeploymentState.CircuitOpen : DeploymentState.Available;
    }

    /// <summary>
    /// Begins one call through the circuit breaker, to be sent with <see cref="DeploymentCall.SendAsync"/> and disposed
    /// once it completed.
    /// </summary>
    /// <param name="attempt">The attempt's token: what the call is sent with.</param>
    /// <param name="clientAborted">The client's own token: a call cut short because the client left is not the deployment's failure.</param>
    /// <param name="limit">
    /// The attempt's own timeout, for a call that may fail over: past it the call throws
    /// <see cref="Polly.Timeout.TimeoutRejectedException"/>. <see cref="AttemptLimit.Answer"/> has none unless
    /// <c>AttemptTimeout</c> is set.
    /// </param>
    public DeploymentCall Begin(CancellationToken attempt, CancellationToken clientAborted, AttemptLimit limit = AttemptLimit.None)
    {
        var context = ResilienceContextPool.Shared.Get(attempt);
        context.Properties.Set(ClientAbortedKey, clientAborted);
        var pipeline = limit switch
        {
            AttemptLimit.Stream => _streamPipeline,
            AttemptLimit.Answer => _answerPipeline ?? _pipeline,
            _ => _pipeline,
        };
        return new DeploymentCall(pipeline, context);
    }

    /// <summary>The last <c>Retry-After</c> came with 429 (rate limited) rather than 503 (unavailable).</summary>
    public bool RetryAfterRateLimited => _retryAfterRateLimited;

    /// <summary>Leaves the deployment out until <paramref name="until"/> (capped at <c>MaxRetryAfter</c> from now).</summary>
    public void MarkRetryAfter(DateTimeOffset until, bool rateLimited = true)
    {
        _retryAfterRateLimited = rateLimited;
        var now = _time.GetUtcNow();
        var capped = until > now + _options.MaxRetryAfter ? now + _options.MaxRetryAfter : until;
        Raise(ref _retryAfterUntil, capped.UtcTicks);
    }

    /// <summary>Leaves the deployment out for <c>BalanceCooldown</c>. True the first time in a cool-down period (warn then).</summary>
    public bool MarkOutOfBalance()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var until = now + _options.BalanceCooldown.Ticks;
        Raise(ref _outOfBalanceUntil, until);
        var warnedUntil = Interlocked.Read(ref _balanceWarnedUntil);
        return warnedUntil <= now && Interlocked.CompareExchange(ref _balanceWarnedUntil, until, warnedUntil) == warnedUntil;
    }

    private static void Raise(ref long field, long value)
    {
        var current = Interlocked.Read(ref field);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref field, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>What the breaker counts as the deployment failing: no answer, a timeout (its own or the request's), 408 or a 5xx.</summary>
    private static bool IsFailure(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        if (outcome.Exception is { } exception)
        {
            var clientLeft = context.Properties.TryGetValue(ClientAbortedKey, out var aborted) && aborted.IsCancellationRequested;
            return !clientLeft && exception is HttpRequestException or OperationCanceledException or IOException or TimeoutRejectedException;
        }
        var status = (int)outcome.Result!.StatusCode;
        return status is 408 or >= 500;
    }
}
