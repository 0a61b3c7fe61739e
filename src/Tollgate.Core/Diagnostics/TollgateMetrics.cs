using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tollgate.Diagnostics;

/// <summary>The <c>Tollgate</c> meter: requests, durations and tokens, with low-cardinality tags.</summary>
public sealed class TollgateMetrics
{
    public const string MeterName = "Tollgate";

    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _unpriced;
    private readonly Counter<long> _budgetExceeded;
    private readonly Counter<long> _upstreamAttempts;
    private readonly Histogram<long> _genAiTokens;
    private readonly Histogram<double> _genAiDuration;
    private readonly Histogram<double> _genAiTimeToFirstToken;
    private readonly Meter _meter;

    public TollgateMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("tollgate.requests", description: "Chat completion requests by outcome.");
        _duration = meter.CreateHistogram<double>("tollgate.request.duration", "ms", "Time from request to last byte.");
        _timeToFirstToken = meter.CreateHistogram<double>("tollgate.stream.time_to_first_token", "ms", "Time to the first streamed event.");
        _tokens = meter.CreateCounter<long>("tollgate.tokens", description: "Tokens metered, by direction.");
        _cost = meter.CreateCounter<double>("tollgate.cost", "{currency}", "What requests cost at their prices, by model and owner (Billing:Currency).");
        _unpriced = meter.CreateCounter<long>("tollgate.unpriced_requests", description: "Requests served for a model without a price (Billing:AllowUnpriced), by model.");
        _upstreamAttempts = meter.CreateCounter<long>("tollgate.upstream.attempts", description: "Attempts at upstream deployments, by deployment and result (ok, rate_limited, unavailable, timeout, unreachable, out_of_balance, client_error, redirect).");
        // OpenTelemetry's GenAI client metrics, beside Tollgate's own names (GenAiConventions: names, units and buckets).
        _genAiTokens = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens used by chat requests, by type (input, output).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = GenAiConventions.TokenUsageBuckets.Select(b => (long)b).ToArray() });
        _genAiDuration = meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of chat requests, to the last byte.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GenAiConventions.DurationBuckets });
        _genAiTimeToFirstToken = meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Time to the first streamed token of chat requests.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GenAiConventions.TimeToFirstTokenBuckets });
        _budgetExceeded = meter.CreateCounter<long>("tollgate.budget.exceeded", description: "Requests over a budget: refused (hard) or served with a warning (soft), by scope and mode.");
    }

    /// <summary>
    /// Registers an observable gauge on the <c>Tollgate</c> meter (features report their own state through it, e.g.
    /// <c>tollgate.upstream.available</c> per deployment).
    /// </summary>
    public void ObserveGauge(string name, Func<IEnumerable<Measurement<int>>> observe, string description) =>
        _meter.CreateObservableGauge(name, observe, description: description);

    /// <summary>One attempt at a deployment ended with <paramref name="result"/>.</summary>
    public void UpstreamAttempt(string deployment, string result) =>
        _upstreamAttempts.Add(1, new KeyValuePair<string, object?>("tollgate.deployment", deployment), new KeyValuePair<string, object?>("tollgate.result", result));

    /// <summary>A request met a budget that is used up: <paramref name="served"/> under a soft budget, refused under a hard one.</summary>
    /// <param name="scope"><c>key</c> or <c>owner</c>.</param>
    /// <param name="mode"><c>hard</c> or <c>soft</c>.</param>
    /// <param name="served">Served under a soft budget (else refused).</param>
    public void BudgetExceeded(string scope, string mode, bool served) =>
        _budgetExceeded.Add(1, new KeyValuePair<string, object?>("tollgate.budget.scope", scope),
            new KeyValuePair<string, object?>("tollgate.budget.mode", mode),
            new KeyValuePair<string, object?>("tollgate.budget.action", served ? "served" : "refused"));

    /// <summary>One chat completion request ended (its usage record's figures; the model and owner are already safe to log).</summary>
    public void RequestCompleted(string outcome, int status, double durationMs, double? timeToFirstTokenMs, long promptTokens, long completionTokens,
        decimal cost, bool unpriced, string model, string owner)
    {
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        var statusTag = new KeyValuePair<string, object?>("http.response.status_code", status);
        _requests.Add(1, outcomeTag, statusTag);
        _duration.Record(durationMs, outcomeTag);
        if (timeToFirstTokenMs is { } ttft)
        {
            _timeToFirstToken.Record(ttft);
        }
        if (promptTokens > 0)
        {
            _tokens.Add(promptTokens, new KeyValuePair<string, object?>("direction", "prompt"));
        }
        if (completionTokens > 0)
        {
            _tokens.Add(completionTokens, new KeyValuePair<string, object?>("direction", "completion"));
        }
        if (cost > 0)
        {
            _cost.Add((double)cost, new KeyValuePair<string, object?>("gen_ai.request.model", model),
                new KeyValuePair<string, object?>("tollgate.owner", owner));
        }
        if (unpriced)
        {
            _unpriced.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }
    }

    /// <summary>
    /// One chat request that reached routing, in the GenAI conventions' terms: its duration, time to first token
    /// (streams), and tokens by type. <paramref name="errorType"/> is null when it completed.
    /// </summary>
    public void GenAiOperation(string provider, string requestModel, string responseModel, string? errorType, double durationSeconds,
        double? timeToFirstTokenSeconds, long inputTokens, long outputTokens)
    {
        var tags = new TagList
        {
            { GenAiConventions.OperationName, GenAiConventions.Chat },
            { GenAiConventions.ProviderName, provider },
            { GenAiConventions.RequestModel, requestModel },
            { GenAiConventions.ResponseModel, responseModel },
        };
        if (errorType is not null)
        {
            tags.Add(GenAiConventions.ErrorType, errorType);
        }
        _genAiDuration.Record(durationSeconds, tags);
        if (timeToFirstTokenSeconds is { } ttft)
        {
            _genAiTimeToFirstToken.Record(ttft, tags);
        }
        if (inputTokens > 0)
        {
            var input = tags;
            input.Add(GenAiConventions.TokenType, "input");
            _genAiTokens.Record(inputTokens, input);
        }
        if (outputTokens > 0)
        {
            var output = tags;
            output.Add(GenAiConventions.TokenType, "output");
            _genAiTokens.Record(outputTokens, output);
        }
    }
}
