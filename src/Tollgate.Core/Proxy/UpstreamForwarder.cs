using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Tollgate.Pricing;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Routing;
using Tollgate.Upstreams;

namespace Tollgate.Proxy;

/// <summary>
/// Forwards a request to its route's deployments in the order of its plan until one answers, and hands the answer to
/// the relay that fits it (<see cref="StreamRelay"/> or <see cref="CompletionRelay"/>); the request path's one stage
/// between rewriting and relaying, in the manner of YARP's <c>HttpForwarder</c>. It does the I/O of each attempt
/// (pricing and splicing the body for the deployment, a jittered pause, the send through the deployment's
/// <see cref="DeploymentHealth"/>, health marks, metrics); <see cref="AttemptClassifier"/> decides what an attempt's
/// result means. Only failures before anything reached the client are tried again elsewhere, and all attempts share
/// <c>UpstreamResponseTimeout</c>.
/// </summary>
public sealed class UpstreamForwarder(
    UpstreamRequestFactory requests,
    UpstreamClient upstream,
    StreamRelay streamRelay,
    CompletionRelay completionRelay,
    PriceBook prices,
    IOptions<ProxyOptions> options,
    IOptions<ResilienceOptions> resilience,
    TimeProvider time,
    ILogger<UpstreamForwarder> logger,
    TollgateMetrics metrics)
{
    private readonly ProxyOptions _options = options.Value;
    private readonly ResilienceOptions _resilience = resilience.Value;

    // Made once: a method group passed per attempt would allocate a delegate each time.
    private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _send = upstream.SendAsync;

    /// <summary>Forwards the request of <paramref name="exchange"/> and answers it, relayed or refused.</summary>
    /// <param name="body">The client's body, to splice again for a deployment with another model name or adaptation.</param>
    /// <param name="upstreamBody">The body rewritten for the route's primary deployment; rewritten again as needed.</param>
    /// <param name="aborted">The client's disconnect.</param>
    public async Task ForwardAsync(ProxyExchange exchange, PooledBufferWriter body, PooledBufferWriter upstreamBody, CancellationToken aborted)
    {
        var route = exchange.Route!;
        var deadline = exchange.Deadline;
        deadline.CancelAfter(_options.UpstreamResponseTimeout);
        var plan = route.Plan(time.GetUtcNow(), Random.Shared, out var soonest, out var rateLimited);
        var failure = new AttemptFailures(soonest, rateLimited);
        var spliced = route.Primary;
        var attempts = Math.Min(plan.Length, _resilience.MaxAttempts);
        for (var i = 0; i < attempts; i++)
        {
            var deployment = plan[i];
            if (exchange.UseDeployment(deployment, prices) is not null)
            {
                continue; // No price for this deployment: it cannot serve the request.
            }
            if (!spliced.EncodedUpstreamModel.AsSpan().SequenceEqual(deployment.EncodedUpstreamModel) || spliced.Upstream.Adaptation != deployment.Upstream.Adaptation)
            {
                // Another model name or another upstream's adaptation: the body is spliced again from the client's.
                upstreamBody.Reset();
                RequestRewriter.Rewrite(body.WrittenSpan, exchange.Request!, deployment.EncodedUpstreamModel, upstreamBody, deployment.Upstream.Adaptation);
                spliced = deployment;
            }
            if (i > 0 && _resilience.RetryBackoff > TimeSpan.Zero)
            {
                // Full jitter, doubling per attempt: attempts of many requests do not arrive together.
                var pause = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * _resilience.RetryBackoff.Ticks * (1 << Math.Min(i - 1, 6))));
                await Task.Delay(pause, time, deadline.Token).ConfigureAwait(false);
            }
            if (await AttemptAsync(exchange, deployment, upstreamBody, failure, anotherMayFollow: i < attempts - 1, aborted).ConfigureAwait(false))
            {
                return;
            }
        }
        var (error, answer) = failure.Answer(route, time.GetUtcNow());
        await exchange.RejectAsync(error, answer, failure.Exception).ConfigureAwait(false);
    }

    /// <summary>One attempt at one deployment: true when it answered the request (relayed, or refused for good).</summary>
    private async Task<bool> AttemptAsync(ProxyExchange exchange, Deployment deployment, PooledBufferWriter upstreamBody, AttemptFailures failure, bool anotherMayFollow,
        CancellationToken aborted)
    {
        var record = exchange.Record;
        var deadline = exchange.Deadline;
        HttpRequestMessage created;
        try
        {
            created = await requests.CreateAsync(deployment.Upstream, deployment.ChatCompletionsUri, upstreamBody.WrittenMemory, exchange.Request!.Stream,
                exchange.Record.RequestId, exchange.Context.Request.Headers, deadline.Token).ConfigureAwait(false);
        }
        catch (UpstreamCredentialUnavailableException e)
        {
            // Nothing was sent: the attempt is neither counted nor sent upstream.
            var verdict = AttemptClassifier.ForFault(AttemptFault.NoCredential, _resilience.FailoverWhenUnsure);
            metrics.UpstreamAttempt(deployment.Name, verdict.Result!);
            failure.Add(verdict.Error, verdict.Answer, e);
            return false;
        }
        using var message = created;
        var limit = AttemptClassifier.LimitFor(anotherMayFollow, exchange.Request!.Stream, _resilience.FailoverWhenUnsure);

        HttpResponseMessage? response;
        AttemptFault fault;
        Exception? exception;
        var wasSent = exchange.SentUpstream;
        var call = deployment.Health.Begin(deadline.Token, aborted, limit);
        try
        {
            // Counted and marked sent before the call, so that a client leaving during it finds both on the record.
            record.Attempts++;
            exchange.SentUpstream = true;
            response = await call.SendAsync(_send, message).ConfigureAwait(false);
            // Set after the call, not before it: only the response lives across the await.
            (fault, exception) = (default, null);
        }
        catch (BrokenCircuitException e)
        {
            (response, fault, exception) = (null, AttemptFault.CircuitOpen, e);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException && !aborted.IsCancellationRequested)
        {
            // The attempt's own timeout (TimeoutRejectedException), or the request's deadline.
            Log.UpstreamTimeout(logger, record.RequestId, deployment.Upstream.Name, "headers");
            (response, fault, exception) = (null, deadline.IsCancellationRequested ? AttemptFault.DeadlinePassed : AttemptFault.AttemptTimeout, e);
        }
        catch (HttpRequestException e) when (!aborted.IsCancellationRequested)
        {
            Log.UpstreamUnreachable(logger, record.RequestId, deployment.Upstream.Name, e.HttpRequestError.ToString());
            (response, fault, exception) = (null, AttemptClassifier.FaultOf(e.HttpRequestError), e);
        }
        finally
        {
            // The breaker has seen the outcome: its pooled context goes back now, not when the relay ends.
            call.Dispose();
        }

        if (response is null)
        {
            var verdict = AttemptClassifier.ForFault(fault, _resilience.FailoverWhenUnsure);
            if (!verdict.Attempted)
            {
                record.Attempts--;
            }
            exchange.SentUpstream = wasSent || verdict.MayHaveReached;
            if (verdict.Result is { } result)
            {
                metrics.UpstreamAttempt(deployment.Name, result);
            }
            if (verdict.Action == AttemptAction.FailOver)
            {
                failure.Add(verdict.Error, verdict.Answer, exception);
                return false;
            }
            await exchange.RejectAsync(verdict.Error, verdict.Answer, exception).ConfigureAwait(false);
            return true;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            ApiError? error = null;
            AttemptVerdict verdict;
            if (AttemptClassifier.HasErrorAnswer(status))
            {
                (error, var outOfBalance) = await completionRelay.ReadErrorAsync(exchange, response, deadline.Token).ConfigureAwait(false);
                var now = time.GetUtcNow();
                var retryAfter = !outOfBalance && AttemptClassifier.CountsRetryAfter(status) ? UpstreamErrorMapper.RetryAfterUntil(response.Headers.RetryAfter, now) : null;
                verdict = AttemptClassifier.ForStatus(status, outOfBalance, retryAfter, _resilience.FailoverWhenUnsure);
                MarkHealth(deployment, verdict, failure, now);
            }
            else
            {
                verdict = AttemptClassifier.ForStatus(status, outOfBalance: false, retryAfter: null, _resilience.FailoverWhenUnsure);
                if (verdict.Error == ProxyError.UpstreamRedirect)
                {
                    Log.UpstreamBadResponse(logger, record.RequestId, deployment.Upstream.Name, "redirect");
                }
            }
            metrics.UpstreamAttempt(deployment.Name, verdict.Result!);
            if (verdict.Action == AttemptAction.FailOver)
            {
                failure.Add(verdict.Error, verdict.Answer ?? error, null);
                return false;
            }
            if (verdict.Action == AttemptAction.Final)
            {
                await exchange.RejectAsync(verdict.Error, verdict.Answer ?? error).ConfigureAwait(false);
                return true;
            }
            // Relayed: a stream when it asked for one and got one; anything else is read whole.
            if (exchange.Request.Stream && IsEventStream(response))
            {
                var upstreamStream = await response.Content.ReadAsStreamAsync(aborted).ConfigureAwait(false);
                await streamRelay.RelayAsync(exchange, upstreamStream, aborted).ConfigureAwait(false);
            }
            else
            {
                await completionRelay.RelayAsync(exchange, response, deadline.Token, aborted).ConfigureAwait(false);
            }
            return true;
        }
    }

    /// <summary>What an error answer says of the deployment's health: out of balance, or back after a <c>Retry-After</c>.</summary>
    private void MarkHealth(Deployment deployment, in AttemptVerdict verdict, AttemptFailures failure, DateTimeOffset now)
    {
        if (verdict.OutOfBalance)
        {
            if (deployment.Health.MarkOutOfBalance())
            {
                Log.DeploymentOutOfBalance(logger, deployment.Name, _resilience.BalanceCooldown);
            }
        }
        else if (verdict.RetryAfter is { } until)
        {
            deployment.Health.MarkRetryAfter(until, verdict.RateLimited);
            failure.RetryAfter(deployment.Health.RetryAfterUntil, verdict.RateLimited);
        }
        else if (verdict.RateLimited)
        {
            failure.RetryAfter(now + AttemptClassifier.RateLimitedWait, rateLimited: true);
        }
    }

    private static bool IsEventStream(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
}
