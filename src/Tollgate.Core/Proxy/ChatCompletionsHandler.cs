using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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

    public async Task HandleAsync(HttpContext context)
    {
        var record = new UsageRecord { RequestId = RequestId.New(), StartedAt = time.GetUtcNow() };
        var started = time.GetTimestamp();
        context.Response.Headers["x-request-id"] = record.RequestId;
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
        try
        {
            var rejection = await PrepareAsync(exchange, body, upstreamBody, aborted).ConfigureAwait(false);
            body.Dispose();
            if (rejection is not null)
            {
                if (!exchange.RateLimitsTaken && limiter.Peek(auth.Key) is { HasLimits: true } limits)
                {
                    // Refused before its limits were taken: the client still learns where it stands.
                    RateLimitHeaders.Write(context.Response.Headers, limits);
                }
                await exchange.RejectAsync(ProxyError.RequestRejected, rejection).ConfigureAwait(false);
                return;
            }
            await ForwardAsync(exchange, upstreamBody, aborted).ConfigureAwait(false);
        }
        catch (Exception) when (aborted.IsCancellationRequested || exchange.ClientGone)
        {
            exchange.Fail(ProxyError.ClientAborted);
            Log.ClientAborted(logger, record.RequestId);
        }
        catch (Exception e)
        {
            Log.Unhandled(logger, record.RequestId, e);
            if (!exchange.ResponseStarted && !context.Response.HasStarted)
            {
                await exchange.RejectAsync(ProxyError.Internal).ConfigureAwait(false);
            }
            else
            {
                exchange.Fail(ProxyError.Internal);
                context.Abort();
            }
        }
        finally
        {
            body.Dispose();
            await CompleteAsync(exchange, upstreamBody).ConfigureAwait(false);
            upstreamBody.Dispose();
            exchange.Tap.Dispose();
            exchange.Deadline.Dispose();
            activity?.SetTag("tollgate.key_id", record.KeyId);
            activity?.SetTag("gen_ai.request.model", record.RequestedModel);
            activity?.SetTag("http.response.status_code", record.Status);
            activity?.SetTag("gen_ai.usage.input_tokens", record.PromptTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", record.CompletionTokens);
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
        if (exchange.Context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = _options.MaxRequestBodyBytes + 1;
        }
        var readError = await RequestBodyReader.ReadAsync(request, body, _options.MaxRequestBodyBytes, exchange.Deadline, _options.RequestBodyTimeout, aborted).ConfigureAwait(false);
        if (readError is not null)
        {
            return readError;
        }

        var parseError = ChatRequestParser.TryParse(body.WrittenSpan, out var chat);
        exchange.Request = chat;
        exchange.Record.RequestedModel = LogValue.Safe(chat.Model);
        exchange.Record.Stream = chat.Stream;
        if (parseError is not null)
        {
            return parseError;
        }

        if (!router.TryGetRoute(chat.Model, out var route))
        {
            return ApiErrors.ModelNotFound(chat.Model);
        }
        if (!exchange.Key!.Allows(chat.Model))
        {
            return ApiErrors.ModelNotAllowed(chat.Model);
        }
        exchange.Route = route;
        exchange.Record.Upstream = route.Upstream.Name;
        exchange.Record.UpstreamModel = route.UpstreamModel;
        if (prices.Price(chat.Model, route.Upstream.Name, exchange.Record.StartedAt, out var price) is { } unpriced)
        {
            return unpriced;
        }
        exchange.Price = price;
        exchange.Record.Unpriced = price is null;

        // Rate limits: one request and its token estimate (a quarter of the body's bytes for the prompt, plus the most output it asks for).
        var maxOutput = chat.MaxOutputTokens ?? MaxOutputCap(chat.Model) * chat.Choices;
        var estimate = body.WrittenCount / 4 + maxOutput;
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
        RequestRewriter.Rewrite(body.WrittenSpan, chat, route.EncodedUpstreamModel, upstreamBody);
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
        var counted = tokens.CountPrompt(body.WrittenSpan, exchange.Route!.UpstreamModel);
        var prompt = (long)Math.Ceiling(counted * (1 + _quota.PromptTokenMargin));
        var price = exchange.Price;
        var money = price is null ? 0m
            : price.CostOf(prompt, 0, maxOutput, price.ReasoningPerMillion > price.OutputPerMillion ? maxOutput : 0, reachedModel: true);
        // On the exchange before anything is reserved, so whatever happens from here on, the end of the request settles it.
        var hold = exchange.Budget = new BudgetHold();
        var refusal = await quotas.ReserveAsync(key, keyBudget, ownerBudget, new QuotaAmount(money, prompt + maxOutput), hold, aborted).ConfigureAwait(false);
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

    /// <summary>Sends the request upstream and hands the answer to the relay that fits it.</summary>
    private async Task ForwardAsync(ProxyExchange exchange, PooledBufferWriter upstreamBody, CancellationToken aborted)
    {
        var route = exchange.Route!;
        using var message = requests.Create(exchange, route, upstreamBody);
        var deadline = exchange.Deadline;
        deadline.CancelAfter(_options.UpstreamResponseTimeout);

        HttpResponseMessage response;
        try
        {
            exchange.SentUpstream = true;
            response = await upstream.SendAsync(message, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            Log.UpstreamTimeout(logger, exchange.Record.RequestId, route.Upstream.Name, "headers");
            await exchange.RejectAsync(ProxyError.UpstreamTimeout).ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException e) when (!aborted.IsCancellationRequested)
        {
            var unreachable = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;
            exchange.SentUpstream = !unreachable;
            Log.UpstreamUnreachable(logger, exchange.Record.RequestId, route.Upstream.Name, e.HttpRequestError.ToString());
            await exchange.RejectAsync(unreachable ? ProxyError.UpstreamUnreachable : ProxyError.UpstreamConnectionFailed).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                Log.UpstreamBadResponse(logger, exchange.Record.RequestId, route.Upstream.Name, "redirect");
                await exchange.RejectAsync(ProxyError.UpstreamRedirect).ConfigureAwait(false);
            }
            else if (status is < 200 or >= 300)
            {
                await completionRelay.RelayErrorAsync(exchange, response, deadline.Token).ConfigureAwait(false);
            }
            else if (exchange.Request!.Stream && IsEventStream(response))
            {
                var upstreamStream = await response.Content.ReadAsStreamAsync(aborted).ConfigureAwait(false);
                await streamRelay.RelayAsync(exchange, upstreamStream, aborted).ConfigureAwait(false);
            }
            else
            {
                await completionRelay.RelayAsync(exchange, response, deadline.Token, aborted).ConfigureAwait(false);
            }
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
        settlement.Settle(record, source, tap, upstreamBody.WrittenSpan, exchange.Price);
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
