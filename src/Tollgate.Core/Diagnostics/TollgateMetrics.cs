using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tollgate.Usage;

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
        _budgetExceeded = meter.CreateCounter<long>("tollgate.budget.exceeded", description: "Requests over a budget: refused (hard) or served with a warning (soft), by scope and mode.");
    }

    /// <summary>
    /// Observes each deployment's health as <c>tollgate.upstream.available</c> (1 when it is in rotation, 0 when it is left
    /// out) and <c>tollgate.upstream.circuit</c> (0 closed, 1 open, 2 half-open, 3 isolated), tagged by deployment.
    /// </summary>
    public void ObserveDeployments(IReadOnlyList<Routing.Deployment> deployments, TimeProvider time)
    {
        _meter.CreateObservableGauge("tollgate.upstream.available", () => deployments.Select(d => new Measurement<int>(
            d.Health.StateAt(time.GetUtcNow()) == Routing.DeploymentState.Available ? 1 : 0, new KeyValuePair<string, object?>("tollgate.deployment", d.Name))),
            description: "1 while a deployment is in rotation, 0 while it is left out (Retry-After, open circuit, out of balance).");
        _meter.CreateObservableGauge("tollgate.upstream.circuit", () => deployments.Select(d => new Measurement<int>(
            (int)d.Health.Circuit, new KeyValuePair<string, object?>("tollgate.deployment", d.Name))),
            description: "A deployment's circuit: 0 closed, 1 open, 2 half-open, 3 isolated (Polly's CircuitState).");
    }

    /// <summary>One attempt at a deployment ended with <paramref name="result"/>.</summary>
    public void UpstreamAttempt(string deployment, string result) =>
        _upstreamAttempts.Add(1, new KeyValuePair<string, object?>("tollgate.deployment", deployment), new KeyValuePair<string, object?>("tollgate.result", result));

    /// <summary>A request met a budget that is used up: <paramref name="served"/> under a soft budget, refused under a hard one.</summary>
    public void BudgetExceeded(Quota.BudgetScope scope, Quota.BudgetMode mode, bool served) =>
        _budgetExceeded.Add(1, new KeyValuePair<string, object?>("tollgate.budget.scope", scope == Quota.BudgetScope.Key ? "key" : "owner"),
            new KeyValuePair<string, object?>("tollgate.budget.mode", mode == Quota.BudgetMode.Hard ? "hard" : "soft"),
            new KeyValuePair<string, object?>("tollgate.budget.action", served ? "served" : "refused"));

    public void RequestCompleted(UsageRecord record)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", record.Outcome.ToString());
        var status = new KeyValuePair<string, object?>("http.response.status_code", record.Status);
        _requests.Add(1, outcome, status);
        _duration.Record(record.DurationMs, outcome);
        if (record.TimeToFirstTokenMs is { } ttft)
        {
            _timeToFirstToken.Record(ttft);
        }
        if (record.PromptTokens > 0)
        {
            _tokens.Add(record.PromptTokens, new KeyValuePair<string, object?>("direction", "prompt"));
        }
        if (record.CompletionTokens > 0)
        {
            _tokens.Add(record.CompletionTokens, new KeyValuePair<string, object?>("direction", "completion"));
        }
        if (record.Cost > 0)
        {
            _cost.Add((double)record.Cost, new KeyValuePair<string, object?>("gen_ai.request.model", record.RequestedModel),
                new KeyValuePair<string, object?>("tollgate.owner", record.Owner));
        }
        if (record.Unpriced)
        {
            _unpriced.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", record.RequestedModel));
        }
    }
}
