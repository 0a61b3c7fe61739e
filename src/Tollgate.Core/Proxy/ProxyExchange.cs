using Microsoft.AspNetCore.Http;
using Tollgate.Keys;
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

    /// <summary>The request body went to the upstream: from here on a model may be consuming tokens.</summary>
    public bool SentUpstream { get; set; }

    /// <summary>Status and headers went to the client; errors can no longer change them.</summary>
    public bool ResponseStarted { get; set; }

    public bool ClientGone { get; set; }

    /// <summary>The upstream reported an error inside a successful response (an SSE error event).</summary>
    public bool UpstreamReportedError { get; set; }

    public long? FirstEventTimestamp { get; set; }

    /// <summary>
    /// The request's one timer, linked to the client's disconnect: re-armed for each phase (body read,
    /// upstream answer, stream idle) instead of a new linked source per phase.
    /// </summary>
    public CancellationTokenSource Deadline { get; } = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
}
