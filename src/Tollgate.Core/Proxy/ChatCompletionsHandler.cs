using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Pricing;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// <c>POST /v1/chat/completions</c>, stage by stage: authenticate, reserve metering, read and validate the body
/// once, route and authorize, price, take rate limits, rewrite, forward and relay (<see cref="UpstreamForwarder"/>,
/// which fails over between deployments and hands the answer to <see cref="StreamRelay"/> or
/// <see cref="CompletionRelay"/>), and settle exactly one usage record for every authenticated request
/// (<see cref="UsageSettlement"/>). A stage that fails says which <see cref="ProxyError"/> it was;
/// <see cref="ProxyErrors"/> maps that to the answer.
/// </summary>
public sealed class ChatCompletionsHandler(
    ApiKeyAuthenticator authenticator,
    ModelRouter router,
    UpstreamForwarder forwarder,
    UsageSettlement settlement,
    PriceBook prices,
    KeyRateLimiter limiter,
    QuotaAccounts quotas,
    TokenCounter tokens,
    IUsageSink usage,
    IOptions<ProxyOptions> options,
    IOptions<QuotaOptions> quota,
    TimeProvider time,
    ILogger<ChatCompletionsHandler> logger,
    TollgateMetrics metrics)
{
    private readonly ProxyOptions _options = options.Value;
    private readonly QuotaOptions _quota = quota.Value;

    public async Task HandleAsync(HttpContext context)
    {
        // The id the host put on the response (x-request-id), so the header and the usage record agree.
        var record = new UsageRecord { RequestId = RequestIdHeader.Ensure(context.Response), StartedAt = time.GetUtcNow() };
        var started = time.GetTimestamp();
        // A span per request for OpenTelemetry listeners (null, and free, when nobody listens): a child of the host's
        // server span when ASP.NET Core's instrumentation made one, else the server span itself.
        using var activity = TollgateMetrics.ActivitySource.StartActivity(RequestMetrics.SpanName,
            Activity.Current is { Kind: ActivityKind.Server } ? ActivityKind.Internal : ActivityKind.Server);
        ProxyExchange? exchange = null;
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
        exchange = new ProxyExchange(context, record, started) { Key = auth.Key };
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
            await forwarder.ForwardAsync(exchange, body, upstreamBody, aborted).ConfigureAwait(false);
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
            if (activity is not null)
            {
                RequestMetrics.Describe(activity, record, exchange);
            }
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
        if (exchange.UseDeployment(route.Primary, prices) is { } unpriced)
        {
            return unpriced;
        }

        // Rate limits: one request and its token estimate (a quarter of the body's bytes for the prompt, plus the most output it asks for).
        // Client-controlled counts saturate: an extreme request asks for more than any limit holds, never a wrapped negative amount.
        var maxOutput = chat.MaxOutputTokens ?? Saturating.Multiply(MaxOutputCap(chat.Model), chat.Choices);
        var estimate = Saturating.Add(body.WrittenCount / 4, maxOutput);
        if (await TakeRateLimitsAsync(exchange, estimate, aborted).ConfigureAwait(false) is { } limited)
        {
            return limited;
        }

        if (await ReserveBudgetsAsync(exchange, body, maxOutput, aborted).ConfigureAwait(false) is { } overBudget)
        {
            // Refused: the request takes nothing from its token limit either.
            limiter.Settle(ref exchange.RateLimit, 0);
            return overBudget;
        }
        RequestRewriter.Rewrite(body.WrittenSpan, chat, route.Primary.EncodedUpstreamModel, upstreamBody, route.Primary.Upstream.Adaptation);
        return null;
    }

    /// <summary>
    /// Rate limits: takes one request and <paramref name="estimate"/> tokens from the key's minute, writes OpenAI's
    /// rate-limit headers, and keeps the reservation on the exchange. Returns the refusal, or null. (Its own method, so
    /// the limiter's result is not hoisted into the caller's state machine.)
    /// </summary>
    private async ValueTask<ApiError?> TakeRateLimitsAsync(ProxyExchange exchange, long estimate, CancellationToken aborted)
    {
        var limits = await limiter.AcquireAsync(exchange.Key!, estimate, aborted).ConfigureAwait(false);
        exchange.RateLimitsTaken = true;
        if (limits.State.HasLimits)
        {
            RateLimitHeaders.Write(exchange.Context.Response.Headers, limits.State);
        }
        exchange.RateLimit = limits.Reservation;
        return limits.Error;
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

        var source = UsageSettlement.SourceFor(record.Outcome, tap, exchange.SentUpstream);
        if (source is UsageSource.Estimated or UsageSource.Partial)
        {
            // Counting tokens takes longer than relaying: let the client have the end of its response first.
            await exchange.EndResponseAsync().ConfigureAwait(false);
        }
        await settlement.SettleAsync(record, source, tap, upstreamBody.WrittenMemory, exchange.Price).ConfigureAwait(false);
        limiter.Settle(ref exchange.RateLimit, record.TotalTokens);
        if (exchange.Budget is { IsEmpty: false } hold)
        {
            quotas.Settle(hold, new QuotaAmount(record.Unpriced ? 0m : record.Cost, record.TotalTokens));
        }

        usage.Record(record);
        metrics.RequestCompleted(record, exchange);
        Log.RequestCompleted(logger, record.RequestId, record.KeyId, record.RequestedModel, record.Upstream, record.Status, record.Outcome,
            record.Stream, record.PromptTokens, record.CompletionTokens, record.Source,
            record.TimeToFirstTokenMs is { } ttft ? Math.Round(ttft, 2) : null, Math.Round(record.DurationMs, 2));
    }
}
