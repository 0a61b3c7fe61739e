using Microsoft.AspNetCore.Http;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Streaming;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>The state of one chat-completion request as it moves through the pipeline.</summary>
public sealed class ProxyExchange(HttpContext context, UsageRecord record, long startTimestamp)
{
    public HttpContext Context { get; } = context;
    public UsageRecord Record { get; } = record;
    public long StartTimestamp { get; } = startTimestamp;
    public UsageTap Tap { get; } = new();
    public ApiKey? Key { get; set; }
    public ChatRequest? Request { get; set; }
    public ModelRoute? Route { get; set; }

    /// <summary>The deployment of <see cref="Route"/> being tried (or that answered); its upstream's name is on the record.</summary>
    public Deployment? Deployment { get; set; }

    /// <summary>The price in effect for the request; null before pricing, or when it is served unpriced.</summary>
    public ModelPrice? Price { get; set; }

    /// <summary>The rate-limit stage ran (its headers are on the response when the key has limits).</summary>
    public bool RateLimitsTaken { get; set; }

    /// <summary>
    /// The request and token estimate taken from the key's rate-limit minute before forwarding, settled to the real use at
    /// the end (a field, so the settlement can clear it in place and no request settles twice).
    /// </summary>
    internal RateLimitReservation RateLimit;

    /// <summary>What the request reserved against its key's and owner's budgets; null when neither has one.</summary>
    public BudgetHold? Budget { get; set; }

    /// <summary>The last stage that failed; <see cref="ProxyError.None"/> while all is well.</summary>
    public ProxyError Error { get; private set; }

    /// <summary>
    /// The exception behind <see cref="Error"/>, when one caused it (as YARP's <c>IForwarderErrorFeature</c> keeps it):
    /// for diagnosis only, never part of a response or a usage record.
    /// </summary>
    public Exception? Exception { get; private set; }

    /// <summary>The request body went to the upstream: from here on a model may be consuming tokens.</summary>
    public bool SentUpstream { get; set; }

    /// <summary>Status and headers went to the client; errors can no longer change them.</summary>
    public bool ResponseStarted { get; set; }

    public bool ClientGone { get; set; }

    public long? FirstEventTimestamp { get; set; }

    private bool _responseEnded;

    /// <summary>
    /// The request's one timer, linked to the client's disconnect: re-armed for each phase (body read,
    /// upstream answer, stream idle) instead of a new linked source per phase.
    /// </summary>
    public CancellationTokenSource Deadline { get; } = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);

    /// <summary>
    /// Prices the request for <paramref name="deployment"/> and makes it the one the record names; the refusal when it has
    /// no price (and unpriced models are not served), else null.
    /// </summary>
    public ApiError? UseDeployment(Deployment deployment, PriceBook prices)
    {
        if (prices.Price(Route!.CanonicalModel, deployment.Upstream.Name, Record.StartedAt, out var price) is { } unpriced)
        {
            return unpriced;
        }
        Deployment = deployment;
        Price = price;
        Record.Upstream = deployment.Upstream.Name;
        Record.UpstreamModel = deployment.UpstreamModel;
        Record.Unpriced = price is null;
        return null;
    }

    /// <summary>
    /// Records a failure on the usage record (outcome, error code, and the status when the client has not had one
    /// yet; a client that went away is 499 whatever was sent) and returns the answer for it:
    /// <paramref name="answer"/> when the stage has its own, else the one <see cref="ProxyErrors"/> maps to.
    /// </summary>
    /// <param name="exception">The exception that caused the failure, if any; kept as <see cref="Exception"/>.</param>
    public ApiError Fail(ProxyError error, ApiError? answer = null, Exception? exception = null)
    {
        answer ??= ProxyErrors.Answer(error);
        Error = error;
        Exception = exception;
        Record.Outcome = ProxyErrors.Outcome(error);
        Record.ErrorCode = answer.Code;
        if (!ResponseStarted || error == ProxyError.ClientAborted)
        {
            Record.Status = answer.Status;
        }
        return answer;
    }

    /// <summary>
    /// Sends what is written with the end of the response, in one write, once; nothing when nothing was started or the
    /// client is gone. A client found gone on the way is noted, not thrown: the request still settles.
    /// </summary>
    public async ValueTask EndResponseAsync()
    {
        if (_responseEnded || !ResponseStarted || ClientGone || Context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        _responseEnded = true;
        try
        {
            await Context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            ClientGone = true;
        }
        ClientGone |= Context.RequestAborted.IsCancellationRequested;
    }

    /// <summary>Records the failure and answers with it as the whole response. Only valid before anything was sent.</summary>
    public Task RejectAsync(ProxyError error, ApiError? answer = null, Exception? exception = null)
    {
        var written = Fail(error, answer, exception);
        ResponseStarted = true;
        return ApiErrorWriter.WriteAsync(Context.Response, written);
    }
}
