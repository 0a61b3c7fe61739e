using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Keys;
using Tollgate.Routing;
using Tollgate.Streaming;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// <c>POST /v1/chat/completions</c>: authenticate, read and validate the body once, route, rewrite,
/// forward, relay, and leave exactly one usage record for every authenticated request.
/// </summary>
public sealed class ChatCompletionsHandler
{
    private readonly ApiKeyAuthenticator _authenticator;
    private readonly ModelRouter _router;
    private readonly UpstreamClient _upstream;
    private readonly IUsageSink _usage;
    private readonly TollgateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TollgateMetrics _metrics;
    private readonly StreamRelay _relay;
    private readonly TokenCounter _tokens;

    public ChatCompletionsHandler(ApiKeyAuthenticator authenticator, ModelRouter router, UpstreamClient upstream, IUsageSink usage,
        IOptions<TollgateOptions> options, TimeProvider time, ILogger<ChatCompletionsHandler> logger, TollgateMetrics metrics, TokenCounter tokens)
    {
        _tokens = tokens;
        _authenticator = authenticator;
        _router = router;
        _upstream = upstream;
        _usage = usage;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _relay = new StreamRelay(_options, time, logger);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var record = new UsageRecord { RequestId = RequestId.New(), StartedAt = _time.GetUtcNow() };
        var started = _time.GetTimestamp();
        context.Response.Headers["x-request-id"] = record.RequestId;
        // A span per request for OpenTelemetry listeners; null (and free) when nobody listens.
        using var activity = TollgateMetrics.ActivitySource.StartActivity("tollgate.chat_completions", System.Diagnostics.ActivityKind.Server);
        activity?.SetTag("tollgate.request_id", record.RequestId);
        var aborted = context.RequestAborted;

        var auth = await _authenticator.AuthenticateAsync(context.Request, aborted).ConfigureAwait(false);
        if (auth.Key is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, auth.Error!).ConfigureAwait(false);
            Log.Unauthenticated(_logger, record.RequestId, auth.Error!.Status);
            return;
        }
        if (!_usage.TryReserve())
        {
            // Never serve what cannot be billed: refuse while the ledger is backlogged.
            Log.MeteringBacklogged(_logger, record.RequestId, auth.Key.Id);
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
            var error = await PrepareAsync(exchange, body, upstreamBody, aborted).ConfigureAwait(false);
            body.Dispose();
            if (error is not null)
            {
                await RejectAsync(exchange, error, RequestOutcome.Rejected).ConfigureAwait(false);
                return;
            }
            await ForwardAsync(exchange, upstreamBody, aborted).ConfigureAwait(false);
        }
        catch (Exception) when (aborted.IsCancellationRequested || exchange.ClientGone)
        {
            record.Outcome = RequestOutcome.ClientAborted;
            record.Status = 499;
            record.ErrorCode = "client_aborted";
            Log.ClientAborted(_logger, record.RequestId);
        }
        catch (Exception e)
        {
            Log.Unhandled(_logger, record.RequestId, e);
            record.Outcome = RequestOutcome.UpstreamError;
            record.ErrorCode = ApiErrors.Internal.Code;
            if (!exchange.ResponseStarted && !context.Response.HasStarted)
            {
                record.Status = 500;
                await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.Internal).ConfigureAwait(false);
            }
            else
            {
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

    /// <summary>Reads, validates, authorizes and rewrites; returns the error to answer, or null to forward.</summary>
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

        if (!_router.TryGetRoute(chat.Model, out var route))
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
        RequestRewriter.Rewrite(body.WrittenSpan, chat, route.EncodedUpstreamModel, upstreamBody);
        return null;
    }

    private async Task ForwardAsync(ProxyExchange exchange, PooledBufferWriter upstreamBody, CancellationToken aborted)
    {
        var route = exchange.Route!;
        var record = exchange.Record;
        var stream = exchange.Request!.Stream;
        using var message = CreateUpstreamRequest(exchange, route, upstreamBody, stream);
        var deadline = exchange.Deadline;
        deadline.CancelAfter(_options.UpstreamResponseTimeout);

        HttpResponseMessage response;
        try
        {
            exchange.SentUpstream = true;
            response = await _upstream.SendAsync(message, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            Log.UpstreamTimeout(_logger, record.RequestId, route.Upstream.Name, "headers");
            await RejectAsync(exchange, ApiErrors.GatewayTimeout, RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException e) when (!aborted.IsCancellationRequested)
        {
            var unreachable = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;
            exchange.SentUpstream = !unreachable;
            Log.UpstreamUnreachable(_logger, record.RequestId, route.Upstream.Name, e.HttpRequestError.ToString());
            var error = unreachable
                ? ApiErrors.BadGateway("The upstream provider could not be reached.", "upstream_unreachable")
                : ApiErrors.BadGateway("The upstream provider's connection failed before it answered.", "upstream_connection_failed");
            await RejectAsync(exchange, error, RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                Log.UpstreamBadResponse(_logger, record.RequestId, route.Upstream.Name, "redirect");
                await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider answered with a redirect, which the gateway does not follow."), RequestOutcome.UpstreamError).ConfigureAwait(false);
                return;
            }
            if (status is < 200 or >= 300)
            {
                await RelayUpstreamErrorAsync(exchange, response, deadline.Token).ConfigureAwait(false);
                return;
            }

            if (stream && IsEventStream(response.Content.Headers.ContentType))
            {
                var upstreamStream = await response.Content.ReadAsStreamAsync(aborted).ConfigureAwait(false);
                await _relay.RelayAsync(exchange, upstreamStream, aborted).ConfigureAwait(false);
                return;
            }
            await RelayCompletionAsync(exchange, response, deadline.Token, aborted).ConfigureAwait(false);
        }
    }

    private static HttpRequestMessage CreateUpstreamRequest(ProxyExchange exchange, ModelRoute route, PooledBufferWriter body, bool stream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, route.Upstream.ChatCompletionsUri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var headers = message.Headers;
        headers.TryAddWithoutValidation("Accept", stream ? "text/event-stream" : "application/json");
        headers.TryAddWithoutValidation("X-Request-Id", exchange.Record.RequestId);
        if (route.Upstream.AuthHeaderName is { } name)
        {
            headers.TryAddWithoutValidation(name, route.Upstream.AuthHeaderValue);
        }
        var incoming = exchange.Context.Request.Headers;
        if (incoming.UserAgent.Count > 0)
        {
            headers.TryAddWithoutValidation("User-Agent", incoming.UserAgent.ToString());
        }
        if (incoming.TryGetValue("OpenAI-Beta", out var beta))
        {
            headers.TryAddWithoutValidation("OpenAI-Beta", beta.ToString());
        }
        return message;
    }

    private static bool IsEventStream(MediaTypeHeaderValue? contentType) =>
        string.Equals(contentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static bool IsJson(MediaTypeHeaderValue? contentType) =>
        contentType?.MediaType is { } media &&
        (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>A 2xx JSON answer: unwrap the envelope, read usage, relay the body.</summary>
    private async Task RelayCompletionAsync(ProxyExchange exchange, HttpResponseMessage response, CancellationToken deadline, CancellationToken aborted)
    {
        var record = exchange.Record;
        var upstream = exchange.Route!.Upstream;
        if (!IsJson(response.Content.Headers.ContentType))
        {
            Log.UpstreamBadResponse(_logger, record.RequestId, upstream.Name, "not JSON");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider returned a response that is not JSON."), RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }

        using var body = new PooledBufferWriter(16 * 1024);
        var complete = await ReadBoundedAsync(exchange, response, body, _options.MaxUpstreamResponseBytes, deadline, aborted).ConfigureAwait(false);
        if (!complete)
        {
            return;
        }

        Envelope.Contents envelope;
        try
        {
            envelope = upstream.Envelope ? Envelope.Read(body.WrittenSpan) : new Envelope.Contents(true, new ByteSpan(0, body.WrittenCount), null, null);
        }
        catch (JsonException)
        {
            Log.UpstreamBadResponse(_logger, record.RequestId, upstream.Name, "invalid JSON");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider returned invalid JSON."), RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }
        if (!envelope.Success)
        {
            Log.UpstreamFailed(_logger, record.RequestId, upstream.Name, 200);
            var mapped = UpstreamErrorMapper.Map(200, body.WrittenSpan, response.Headers.RetryAfter, upstream, _time.GetUtcNow());
            await RejectAsync(exchange, mapped.Status == 200 ? ApiErrors.BadGateway("The upstream provider reported a failure.") : mapped, RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }

        var payload = body.WrittenMemory.Slice(envelope.Data.Start, envelope.Data.Length);
        try
        {
            exchange.Tap.Inspect(payload.Span);
        }
        catch (JsonException)
        {
            Log.UpstreamBadResponse(_logger, record.RequestId, upstream.Name, "invalid JSON");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider returned invalid JSON."), RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }

        if (exchange.Request!.Stream)
        {
            // Asked for a stream, got a complete JSON answer: not what the client can parse.
            Log.UpstreamBadResponse(_logger, record.RequestId, upstream.Name, "JSON instead of a stream");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider answered a streaming request without a stream."), RequestOutcome.UpstreamError).ConfigureAwait(false);
            return;
        }

        var httpResponse = exchange.Context.Response;
        httpResponse.StatusCode = 200;
        httpResponse.ContentType = "application/json";
        httpResponse.ContentLength = payload.Length;
        exchange.ResponseStarted = true;
        record.Status = 200;
        record.Outcome = RequestOutcome.Completed;
        exchange.FirstEventTimestamp = _time.GetTimestamp();
        await httpResponse.Body.WriteAsync(payload, aborted).ConfigureAwait(false);
    }

    private async Task RelayUpstreamErrorAsync(ProxyExchange exchange, HttpResponseMessage response, CancellationToken deadline)
    {
        var upstream = exchange.Route!.Upstream;
        var status = (int)response.StatusCode;
        Log.UpstreamFailed(_logger, exchange.Record.RequestId, upstream.Name, status);
        using var body = new PooledBufferWriter(4096);
        try
        {
            await ReadUpTo(response, body, 64 * 1024, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !exchange.Context.RequestAborted.IsCancellationRequested)
        {
            // The status alone decides the answer; the body only adds the provider's explanation.
        }
        var error = UpstreamErrorMapper.Map(status, body.WrittenSpan, response.Headers.RetryAfter, upstream, _time.GetUtcNow());
        await RejectAsync(exchange, error, RequestOutcome.UpstreamError).ConfigureAwait(false);
    }

    /// <summary>Reads a whole body up to <paramref name="cap"/>; answers 502/504 itself and returns false when it cannot.</summary>
    private async ValueTask<bool> ReadBoundedAsync(ProxyExchange exchange, HttpResponseMessage response, PooledBufferWriter body, long cap, CancellationToken deadline, CancellationToken aborted)
    {
        var upstream = exchange.Route!.Upstream.Name;
        if (response.Content.Headers.ContentLength is { } declared && declared > cap)
        {
            Log.UpstreamBadResponse(_logger, exchange.Record.RequestId, upstream, "body over MaxUpstreamResponseBytes");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider's response is larger than the gateway relays.", "upstream_response_too_large"), RequestOutcome.UpstreamError).ConfigureAwait(false);
            return false;
        }
        try
        {
            if (!await ReadUpTo(response, body, cap, deadline).ConfigureAwait(false))
            {
                Log.UpstreamBadResponse(_logger, exchange.Record.RequestId, upstream, "body over MaxUpstreamResponseBytes");
                await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider's response is larger than the gateway relays.", "upstream_response_too_large"), RequestOutcome.UpstreamError).ConfigureAwait(false);
                return false;
            }
            return true;
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            Log.UpstreamTimeout(_logger, exchange.Record.RequestId, upstream, "body");
            await RejectAsync(exchange, ApiErrors.GatewayTimeout, RequestOutcome.UpstreamError).ConfigureAwait(false);
            return false;
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !aborted.IsCancellationRequested)
        {
            Log.UpstreamStreamBroken(_logger, exchange.Record.RequestId, upstream, "connection lost while reading the body");
            await RejectAsync(exchange, ApiErrors.BadGateway("The upstream provider's connection failed.", "upstream_stream_broken"), RequestOutcome.StreamBroken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Reads at most <paramref name="cap"/> bytes; false when the body is longer.</summary>
    private static async ValueTask<bool> ReadUpTo(HttpResponseMessage response, PooledBufferWriter body, long cap, CancellationToken cancellationToken)
    {
        await using var content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var memory = body.GetMemory(8192);
            var room = (int)Math.Min(memory.Length, cap + 1 - body.WrittenCount);
            var read = await content.ReadAsync(memory[..room], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return true;
            }
            body.Advance(read);
            if (body.WrittenCount > cap)
            {
                return false;
            }
        }
    }

    private Task RejectAsync(ProxyExchange exchange, ApiError error, RequestOutcome outcome)
    {
        exchange.Record.Status = error.Status;
        exchange.Record.Outcome = outcome;
        exchange.Record.ErrorCode ??= error.Code;
        exchange.ResponseStarted = true;
        return ApiErrorWriter.WriteAsync(exchange.Context.Response, error);
    }

    /// <summary>Settles the token figures, then hands the record to the ledger and writes the request's log line.</summary>
    private async ValueTask CompleteAsync(ProxyExchange exchange, PooledBufferWriter upstreamBody)
    {
        var record = exchange.Record;
        var tap = exchange.Tap;
        record.CompletedAt = _time.GetUtcNow();
        record.DurationMs = _time.GetElapsedTime(exchange.StartTimestamp).TotalMilliseconds;
        if (exchange.FirstEventTimestamp is { } first)
        {
            record.TimeToFirstTokenMs = _time.GetElapsedTime(exchange.StartTimestamp, first).TotalMilliseconds;
        }
        record.FinishReason = tap.FinishReason;

        var cutShort = record.Outcome is RequestOutcome.ClientAborted or RequestOutcome.StreamBroken;
        if (tap.UsageReported)
        {
            record.PromptTokens = tap.PromptTokens;
            record.CompletionTokens = tap.CompletionTokens;
            record.CachedTokens = tap.CachedTokens;
            record.ReasoningTokens = tap.ReasoningTokens;
            record.Source = UsageSource.Reported;
        }
        else if (record.Outcome == RequestOutcome.Completed || (cutShort && exchange.SentUpstream) || tap.SawOutput)
        {
            // Counting tokens takes longer than relaying: let the client have the end of its response first.
            await FinishResponseAsync(exchange).ConfigureAwait(false);
            var model = record.UpstreamModel.Length > 0 ? record.UpstreamModel : record.RequestedModel;
            record.PromptTokens = _tokens.CountPrompt(upstreamBody.WrittenSpan, model);
            record.CompletionTokens = _tokens.CountCompletion(tap.CompletionText, tap.CompletionTextBytes, model);
            record.Source = cutShort ? UsageSource.Partial : UsageSource.Estimated;
        }
        else
        {
            record.Source = UsageSource.None;
        }

        _usage.Record(record);
        _metrics.RequestCompleted(record);
        Log.RequestCompleted(_logger, record.RequestId, record.KeyId, record.RequestedModel, record.Upstream, record.Status, record.Outcome,
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
