using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Billing;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Usage;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Tollgate.Proxy;

/// <summary>
/// <c>POST /v1/chat/completions</c>, stage by stage: authenticate, reserve metering, read and validate the body
/// once, route and authorize, price, take rate limits, rewrite, forward, relay (<see cref="StreamRelay"/> or <see cref="CompletionRelay"/>),
/// and settle exactly one usage record for every authenticated request (<see cref="UsageSettlement"/>). A stage
/// that fails says which <see cref="ProxyError"/> it was; <see cref="ProxyErrors"/> maps that to the answer.
/// </summary>
public sealed class ChatCompletionsHandler(
    ApiKeyAuthenticator authenticator,
    ModelRouter router,
    UpstreamRequestFactory requests,
    UpstreamClient upstream,
    StreamRelay streamRelay,
    CompletionRelay completionRelay,
    UsageSettlement settlement,
    PriceBook prices,
    KeyRateLimiter limiter,
    QuotaAccounts quotas,
    IOptions<ResilienceOptions> resilience,
    TokenCounter tokens,
    IUsageSink usage,
    IOptions<TollgateOptions> options,
    IOptions<QuotaOptions> quota,
    TimeProvider time,
    ILogger<ChatCompletionsHandler> logger,
    TollgateMetrics metrics)
{
    private readonly TollgateOptions _options = options.Value;
    private readonly QuotaOptions _quota = quota.Value;
    private readonly ResilienceOptions _resilience = resilience.Value;

    // Made once: a method group passed per attempt would allocate a delegate each time.
    private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _send = upstream.SendAsync;

    public async Task HandleAsync(HttpContext context)
    {
        // The id the host put on the response (x-request-id), so the header and the usage record agree.
        var record = new UsageRecord { RequestId = RequestIdHeader.Ensure(context.Response), StartedAt = time.GetUtcNow() };
        var started = time.GetTimestamp();
        // A span per request for OpenTelemetry listeners; null (and free) when nobody listens.
        using var activity = TollgateMetrics.ActivitySource.StartActivity("tollgate.chat_completions", System.Diagnostics.ActivityKind.Server);
        activity?.SetTag("tollgate.request_id", record.RequestId);
        var aborted = context.RequestAborted;

        var auth = await authenticator.AuthenticateAsync(context.Request, aborted).ConfigureAwait(false);
        if (auth.Key is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, auth.Error!).ConfigureAwait(false);
            Log.Unauthenticated(logger, record.RequestId, auth.Error!.Status);
            return;
        }
        if (!usage.TryReserve())
        {
            // Never serve what cannot be billed: refuse while the ledger is backlogged.
            Log.MeteringBacklogged(logger, record.RequestId, auth.Key.Id);
            await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.MeteringBacklogged).ConfigureAwait(false);
            return;
        }
        var exchange = new ProxyExchange(context, record, started) { Key = auth.Key };
        record.KeyId = auth.Key.Id;
        record.Owner = auth.Key.Owner;

        // Pooled buffers sized from Content-Length: the client's body goes back to the pool once parsed; the
        // upstream copy is kept until the exchange ends (the handler may still be sending it when headers arrive).
        var hint = context.Request.ContentLength is { } length and > 0 ? (int)Math.Min(length + 1, _options.MaxRequestBodyBytes + 1) : 4096;
        var body = new PooledBufferWriter(hint);
        var upstreamBody = new PooledBufferWriter(hint + 64);
        var drainBody = false;
        try
        {
            var rejection = await PrepareAsync(exchange, body, upstreamBody, aborted).ConfigureAwait(false);
            if (exchange.Route is not { Deployments.Count: > 1 })
            {
                // Only a route that may fail over to a deployment with another model name needs the client's body again.
                body.Dispose();
                exchange.Request?.ReleaseMembers();
            }
            if (rejection is not null)
            {
                if (!exchange.RateLimitsTaken && limiter.Peek(auth.Key) is { HasLimits: true } limits)
                {
                    // Refused before its limits were taken: the client still learns where it stands.
                    RateLimitHeaders.Write(context.Response.Headers, limits);
                }
                await exchange.RejectAsync(ProxyError.RequestRejected, rejection).ConfigureAwait(false);
                drainBody = rejection.Status == StatusCodes.Status413PayloadTooLarge;
                return;
            }
            await ForwardAsync(exchange, body, upstreamBody, aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (aborted.IsCancellationRequested || exchange.ClientGone)
        {
            exchange.Fail(ProxyError.ClientAborted, exception: e);
            Log.ClientAborted(logger, record.RequestId);
        }
        catch (Exception e)
        {
            Log.Unhandled(logger, record.RequestId, e);
            if (!exchange.ResponseStarted && !context.Response.HasStarted)
            {
                await exchange.RejectAsync(ProxyError.Internal, exception: e).ConfigureAwait(false);
            }
            else
            {
                exchange.Fail(ProxyError.Internal, exception: e);
                context.Abort();
            }
        }
        finally
        {
            body.Dispose();
            exchange.Request?.ReleaseMembers();
            await CompleteAsync(exchange, upstreamBody).ConfigureAwait(false);
            upstreamBody.Dispose();
            exchange.Tap.Dispose();
            exchange.Deadline.Dispose();
            activity?.SetTag("tollgate.key_id", record.KeyId);
            activity?.SetTag("gen_ai.request.model", record.RequestedModel);
            activity?.SetTag("http.response.status_code", record.Status);
            activity?.SetTag("gen_ai.usage.input_tokens", record.PromptTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", record.CompletionTokens);
            if (drainBody)
            {
                // Answered and recorded: the rest of the refused body is read and dropped so the client can read the 413.
                await RequestBodyReader.DrainAsync(context, _options.OversizedBodyDrainBytes, _options.OversizedBodyDrainTimeout, time).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads, validates, authorizes and rewrites; returns the answer that refuses the request, or null to forward.</summary>
    private async ValueTask<ApiError?> PrepareAsync(ProxyExchange exchange, PooledBufferWriter body, PooledBufferWriter upstreamBody, CancellationToken aborted)
    {
        var request = exchange.Context.Request;
        if (!RequestBodyReader.IsJsonContentType(request.ContentType))
        {
            return ApiErrors.UnsupportedContentType;
        }
        // The server must let a refused body be drained (staged close), not only read up to the cap.
        RequestBodyReader.AllowBodyOf(request, Math.Max(_options.MaxRequestBodyBytes + 1, _options.OversizedBodyDrainBytes));
        ApiError? readError;
        try
        {
            readError = await RequestBodyReader.ReadAsync(request, body, _options.MaxRequestBodyBytes, exchange.Deadline, _options.RequestBodyTimeout, aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The reader answers for the client's bytes; what it lets through is the connection failing: the client is gone.
            exchange.ClientGone = true;
            throw;
        }
        if (readError is not null)
        {
            return readError;
        }

        var parseError = ChatRequestParser.TryParse(body.WrittenSpan, router.AdaptedFields, out var chat);
        exchange.Request = chat;
        // One lookup: it decides the model name the record keeps (an unknown one is not kept) and, once valid, the route.
        var route = router.TryGetRoute(chat.Model, out var found) ? found : null;
        exchange.Record.RequestedModel = chat.Model.Length == 0 || route is not null ? LogValue.Safe(chat.Model) : UsageRecord.UnknownModel;
        exchange.Record.Stream = chat.Stream;
        if (parseError is not null)
        {
            return parseError;
        }

        if (route is null)
        {
            return ApiErrors.ModelNotFound(chat.Model);
        }
        if (!exchange.Key!.Allows(chat.Model) && !exchange.Key.Allows(route.CanonicalModel))
        {
            return ApiErrors.ModelNotAllowed(chat.Model);
        }
        exchange.Route = route;
        if (UseDeployment(exchange, route.Primary) is { } unpriced)
        {
            return unpriced;
        }

        // Rate limits: one request and its token estimate (a quarter of the body's bytes for the prompt, plus the most output it asks for).
        // Client-controlled counts saturate: an extreme request asks for more than any limit holds, never a wrapped negative amount.
        var maxOutput = chat.MaxOutputTokens ?? Saturating.Multiply(MaxOutputCap(chat.Model), chat.Choices);
        var estimate = Saturating.Add(body.WrittenCount / 4, maxOutput);
        var limited = limiter.TryAcquire(exchange.Key, estimate, out var limits);
        exchange.RateLimitsTaken = true;
        if (limits.HasLimits)
        {
            RateLimitHeaders.Write(exchange.Context.Response.Headers, limits);
        }
        if (limited is not null)
        {
            return limited;
        }
        exchange.ReservedTokens = limits.TokenLimit is null ? 0 : estimate;

        if (await ReserveBudgetsAsync(exchange, body, maxOutput, aborted).ConfigureAwait(false) is { } overBudget)
        {
            // Refused: the request takes nothing from its token limit either.
            limiter.Settle(exchange.Key, exchange.ReservedTokens, 0);
            exchange.ReservedTokens = 0;
            return overBudget;
        }
        RequestRewriter.Rewrite(body.WrittenSpan, chat, route.Primary.EncodedUpstreamModel, upstreamBody, route.Primary.Upstream.Adaptation);
        return null;
    }

    /// <summary>
    /// Budgets: reserves the request's worst case (its prompt counted by the tokenizer plus a margin, and the most output
    /// it may generate, at its price) against its key's and its owner's budgets. Returns the refusal, or null.
    /// </summary>
    private async ValueTask<ApiError?> ReserveBudgetsAsync(ProxyExchange exchange, PooledBufferWriter body, long maxOutput, CancellationToken aborted)
    {
        if (!quotas.OwnerBudgetsLoaded)
        {
            return ApiErrors.QuotaUnavailable;
        }
        var key = exchange.Key!;
        var (keyBudget, ownerBudget) = quotas.BudgetsOf(key);
        if (keyBudget is null && ownerBudget is null)
        {
            return null;
        }
        var route = exchange.Route!;
        var counted = await tokens.CountPromptAsync(body.WrittenMemory, route.Primary.UpstreamModel).ConfigureAwait(false);
        var prompt = Saturating.Ceiling(counted * (1 + _quota.PromptTokenMargin));
        // The worst case over every deployment the request may fail over to: the dearest price counts.
        var money = 0m;
        foreach (var deployment in route.Deployments)
        {
            if (prices.Price(route.CanonicalModel, deployment.Upstream.Name, exchange.Record.StartedAt, out var price) is null && price is not null)
            {
                money = Math.Max(money, price.CostOf(prompt, 0, maxOutput, price.ReasoningPerMillion > price.OutputPerMillion ? maxOutput : 0, reachedModel: true));
            }
        }
        // On the exchange before anything is reserved, so whatever happens from here on, the end of the request settles it.
        var hold = exchange.Budget = new BudgetHold();
        var refusal = await quotas.ReserveAsync(key, keyBudget, ownerBudget, new QuotaAmount(money, Saturating.Add(prompt, maxOutput)), hold, aborted).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }
        if (hold.OverScopes is { } over)
        {
            exchange.Context.Response.Headers["x-tollgate-budget-exceeded"] = over;
        }
        return null;
    }

    /// <summary>The output assumed for a request that sets no limit: the model's cap, else the default.</summary>
    private long MaxOutputCap(string model) =>
        _quota.MaxOutputTokens.Count > 0 && _quota.MaxOutputTokens.TryGetValue(model, out var cap) ? cap : _quota.DefaultMaxOutputTokens;

    /// <summary>
    /// Prices the request for <paramref name="deployment"/> and makes it the one the record names; the refusal when it has
    /// no price (and unpriced models are not served), else null.
    /// </summary>
    private ApiError? UseDeployment(ProxyExchange exchange, Deployment deployment)
    {
        if (prices.Price(exchange.Route!.CanonicalModel, deployment.Upstream.Name, exchange.Record.StartedAt, out var price) is { } unpriced)
        {
            return unpriced;
        }
        exchange.Deployment = deployment;
        exchange.Price = price;
        exchange.Record.Upstream = deployment.Upstream.Name;
        exchange.Record.UpstreamModel = deployment.UpstreamModel;
        exchange.Record.Unpriced = price is null;
        return null;
    }

    /// <summary>
    /// Sends the request to the route's deployments in the order of its plan until one answers, and hands the answer to
    /// the relay that fits it. Only failures before anything reached the client are tried again elsewhere: no answer
    /// (connection refused, no headers in time), 429, 408, 502, 503, 504 and a provider out of balance. A deployment
    /// answering with another error, or any answer once relaying began, ends the request. All attempts share
    /// <c>UpstreamResponseTimeout</c>.
    /// </summary>
    private async Task ForwardAsync(ProxyExchange exchange, PooledBufferWriter body, PooledBufferWriter upstreamBody, CancellationToken aborted)
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
            if (UseDeployment(exchange, deployment) is not null)
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
            if (await AttemptAsync(exchange, deployment, upstreamBody, failure, canFailOver: i < attempts - 1, aborted).ConfigureAwait(false))
            {
                return;
            }
        }
        var (error, answer) = failure.Answer(route, time.GetUtcNow());
        await exchange.RejectAsync(error, answer).ConfigureAwait(false);
    }

    /// <summary>One attempt at one deployment: true when it answered the request (relayed, or refused for good).</summary>
    /// <param name="canFailOver">Another attempt may follow this one (it is not the plan's last).</param>
    private async Task<bool> AttemptAsync(ProxyExchange exchange, Deployment deployment, PooledBufferWriter upstreamBody, AttemptFailures failure, bool canFailOver,
        CancellationToken aborted)
    {
        var record = exchange.Record;
        var deadline = exchange.Deadline;
        HttpRequestMessage created;
        try
        {
            created = await requests.CreateAsync(exchange, deployment, upstreamBody, deadline.Token).ConfigureAwait(false);
        }
        catch (UpstreamCredentialUnavailableException)
        {
            // It cannot sign in (no Entra ID token): nothing was sent, another deployment may serve.
            metrics.UpstreamAttempt(deployment.Name, "no_credential");
            failure.Add(ProxyError.UpstreamUnreachable, ApiErrors.UpstreamUnavailable("The gateway cannot sign in to the upstream provider right now."));
            return false;
        }
        using var message = created;
        // A stream gets its headers from a healthy deployment at once: waiting long for them is a reason to try another
        // (when there is another: the last attempt of a plan waits for its deployment until the request's deadline).
        // Without FailoverWhenUnsure a slow answer is never abandoned for another deployment, so no attempt has a timeout.
        var limit = canFailOver && _resilience.FailoverWhenUnsure
            ? exchange.Request!.Stream ? AttemptLimit.Stream : AttemptLimit.Answer
            : AttemptLimit.None;

        HttpResponseMessage response;
        var wasSent = exchange.SentUpstream;
        var call = deployment.Health.Begin(deadline.Token, aborted, limit);
        try
        {
            record.Attempts++;
            exchange.SentUpstream = true;
            response = await call.SendAsync(_send, message).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            // Its circuit opened since the plan was made (or a probe is under way): nothing was sent.
            record.Attempts--;
            exchange.SentUpstream = wasSent;
            failure.Add(ProxyError.UpstreamUnreachable, ApiErrors.UpstreamUnavailable());
            return false;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException && !aborted.IsCancellationRequested)
        {
            // The attempt's own timeout (TimeoutRejectedException), or the request's deadline.
            Log.UpstreamTimeout(logger, record.RequestId, deployment.Upstream.Name, "headers");
            metrics.UpstreamAttempt(deployment.Name, "timeout");
            if (deadline.IsCancellationRequested)
            {
                // The request's own deadline passed: no time for another attempt.
                await exchange.RejectAsync(ProxyError.UpstreamTimeout).ConfigureAwait(false);
                return true;
            }
            failure.Add(ProxyError.UpstreamTimeout, ApiErrors.GatewayTimeout);
            return false;
        }
        catch (HttpRequestException e) when (!aborted.IsCancellationRequested)
        {
            var unreachable = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;
            exchange.SentUpstream = wasSent || !unreachable;
            Log.UpstreamUnreachable(logger, record.RequestId, deployment.Upstream.Name, e.HttpRequestError.ToString());
            metrics.UpstreamAttempt(deployment.Name, "unreachable");
            if (!unreachable && !_resilience.FailoverWhenUnsure)
            {
                // The request may have reached the deployment before the connection was lost: not sent anywhere else.
                await exchange.RejectAsync(ProxyError.UpstreamConnectionFailed).ConfigureAwait(false);
                return true;
            }
            failure.Add(unreachable ? ProxyError.UpstreamUnreachable : ProxyError.UpstreamConnectionFailed, null);
            return false;
        }
        finally
        {
            // The breaker has seen the outcome: its pooled context goes back now, not when the relay ends.
            call.Dispose();
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                Log.UpstreamBadResponse(logger, record.RequestId, deployment.Upstream.Name, "redirect");
                metrics.UpstreamAttempt(deployment.Name, "redirect");
                await exchange.RejectAsync(ProxyError.UpstreamRedirect).ConfigureAwait(false);
                return true;
            }
            if (status is < 200 or >= 300)
            {
                var (error, outOfBalance) = await completionRelay.ReadErrorAsync(exchange, response, deadline.Token).ConfigureAwait(false);
                var now = time.GetUtcNow();
                if (outOfBalance)
                {
                    metrics.UpstreamAttempt(deployment.Name, "out_of_balance");
                    if (deployment.Health.MarkOutOfBalance())
                    {
                        Log.DeploymentOutOfBalance(logger, deployment.Name, _resilience.BalanceCooldown);
                    }
                    failure.Add(ProxyError.UpstreamFailed, error);
                    return false;
                }
                var retryAfter = status is 429 or 503 ? UpstreamErrorMapper.RetryAfterUntil(response.Headers.RetryAfter, now) : null;
                if (retryAfter is { } until)
                {
                    deployment.Health.MarkRetryAfter(until, rateLimited: status == 429);
                    failure.RetryAfter(deployment.Health.RetryAfterUntil, rateLimited: status == 429);
                }
                else if (status == 429)
                {
                    failure.RetryAfter(now + TimeSpan.FromSeconds(1), rateLimited: true);
                }
                if (status is 408 or 429 or 502 or 503 or 504)
                {
                    metrics.UpstreamAttempt(deployment.Name, status == 429 ? "rate_limited" : "unavailable");
                    // 429 and a 503 with Retry-After say the completion did not run; the others leave it open.
                    if (status == 429 || retryAfter is not null || _resilience.FailoverWhenUnsure)
                    {
                        failure.Add(ProxyError.UpstreamFailed, error);
                        return false;
                    }
                    await exchange.RejectAsync(ProxyError.UpstreamFailed, error).ConfigureAwait(false);
                    return true;
                }
                // Another error is the request's, not the deployment's: it passes through (sanitised), whichever deployment said it.
                metrics.UpstreamAttempt(deployment.Name, "client_error");
                await exchange.RejectAsync(ProxyError.UpstreamFailed, error).ConfigureAwait(false);
                return true;
            }
            metrics.UpstreamAttempt(deployment.Name, "ok");
            if (exchange.Request!.Stream && IsEventStream(response))
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

    /// <summary>What the failed attempts of one request amount to, for the answer when no deployment served it.</summary>
    private sealed class AttemptFailures(DateTimeOffset? soonest, bool rateLimited)
    {
        private DateTimeOffset? _soonest = soonest;
        private bool _rateLimited = rateLimited;
        private ProxyError _error = ProxyError.UpstreamUnreachable;
        private ApiError? _answer;
        private bool _any;

        public void Add(ProxyError error, ApiError? answer)
        {
            _any = true;
            _error = error;
            _answer = answer;
        }

        public void RetryAfter(DateTimeOffset until, bool rateLimited)
        {
            _rateLimited |= rateLimited;
            if (_soonest is null || until < _soonest)
            {
                _soonest = until;
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
            if (_soonest is { } until && until > now)
            {
                var wait = until - now;
                var seconds = (int)Math.Ceiling(wait.TotalSeconds);
                var answer = _rateLimited
                    ? ApiErrors.RateLimited($"Every deployment of model '{model}' is rate limited or unavailable. Try again in {Quota.RateLimitHeaders.Duration(wait)}.", seconds)
                    : ApiErrors.UpstreamUnavailable($"Every deployment of model '{model}' is unavailable. Try again in {Quota.RateLimitHeaders.Duration(wait)}.") with { RetryAfterSeconds = seconds };
                return (ProxyError.UpstreamFailed, answer with { RetryAfterMilliseconds = (long)Math.Ceiling(wait.TotalMilliseconds) });
            }
            return _any ? (_error, _answer) : (ProxyError.UpstreamUnreachable, ApiErrors.UpstreamUnavailable(
                $"Every deployment of model '{model}' is unavailable right now. Try again later."));
        }
    }

    private static bool IsEventStream(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>Settles the token figures, then hands the record to the ledger and writes the request's log line.</summary>
    private async ValueTask CompleteAsync(ProxyExchange exchange, PooledBufferWriter upstreamBody)
    {
        var record = exchange.Record;
        var tap = exchange.Tap;
        record.CompletedAt = time.GetUtcNow();
        record.DurationMs = time.GetElapsedTime(exchange.StartTimestamp).TotalMilliseconds;
        if (exchange.FirstEventTimestamp is { } first)
        {
            record.TimeToFirstTokenMs = time.GetElapsedTime(exchange.StartTimestamp, first).TotalMilliseconds;
        }
        record.FinishReason = tap.FinishReason;

        var source = UsageSettlement.SourceFor(record.Outcome, tap.UsageReported, exchange.SentUpstream, tap.SawOutput);
        if (source is UsageSource.Estimated or UsageSource.Partial)
        {
            // Counting tokens takes longer than relaying: let the client have the end of its response first.
            await FinishResponseAsync(exchange).ConfigureAwait(false);
        }
        await settlement.SettleAsync(record, source, tap, upstreamBody.WrittenMemory, exchange.Price).ConfigureAwait(false);
        if (exchange.ReservedTokens > 0)
        {
            limiter.Settle(exchange.Key!, exchange.ReservedTokens, record.TotalTokens);
        }
        if (exchange.Budget is { IsEmpty: false } hold)
        {
            quotas.Settle(hold, new QuotaAmount(record.Unpriced ? 0m : record.Cost, record.TotalTokens));
        }

        usage.Record(record);
        metrics.RequestCompleted(record);
        Log.RequestCompleted(logger, record.RequestId, record.KeyId, record.RequestedModel, record.Upstream, record.Status, record.Outcome,
            record.Stream, record.PromptTokens, record.CompletionTokens, record.Source,
            record.TimeToFirstTokenMs is { } ttft ? Math.Round(ttft, 2) : null, Math.Round(record.DurationMs, 2));
    }

    private static async ValueTask FinishResponseAsync(ProxyExchange exchange)
    {
        var response = exchange.Context.Response;
        if (!response.HasStarted || exchange.ClientGone || exchange.Context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away meanwhile: nothing left to send.
        }
    }
}
