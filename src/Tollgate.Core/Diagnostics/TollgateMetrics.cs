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

    public TollgateMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("tollgate.requests", description: "Chat completion requests by outcome.");
        _duration = meter.CreateHistogram<double>("tollgate.request.duration", "ms", "Time from request to last byte.");
        _timeToFirstToken = meter.CreateHistogram<double>("tollgate.stream.time_to_first_token", "ms", "Time to the first streamed event.");
        _tokens = meter.CreateCounter<long>("tollgate.tokens", description: "Tokens metered, by direction.");
    }

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
    }
}
