using System.Globalization;

namespace Tollgate.MockUpstream;

/// <summary>
/// What the mock does for one request. Defaults come from configuration (<c>Mock:Chunks</c>,
/// <c>Mock:DelayMs</c>); the upstream model name can override them after an <c>@</c>, comma-separated:
/// <c>mock@chunks=3,delay=10,reasoning,tools,status=429,retry-after=2,drop=2,nousage,envelope,details,
/// json,html,redirect,stall=500,stallbody=500,linger=500,malformed,crlf,split,big=100000,usagechoices</c>
/// (<c>linger</c>: the response stays open that long after <c>[DONE]</c>).
/// A 429 or 503 carries <c>Retry-After</c> (1 s unless <c>retry-after</c> says otherwise; <c>retry-after=0</c> sends none).
/// </summary>
public sealed record MockBehavior
{
    public int Chunks { get; init; } = 5;
    public int DelayMs { get; init; }
    public int? Status { get; init; }
    public int RetryAfterSeconds { get; init; } = 1;
    public int? DropAfter { get; init; }
    public bool NoUsage { get; init; }
    public bool Envelope { get; init; }
    public bool Reasoning { get; init; }
    public bool Tools { get; init; }
    public bool Details { get; init; }
    public bool Json { get; init; }
    public bool Html { get; init; }
    public bool Redirect { get; init; }
    public int StallMs { get; init; }
    public int StallBodyMs { get; init; }
    public int LingerMs { get; init; }
    public bool Malformed { get; init; }
    public bool Crlf { get; init; }
    public bool Split { get; init; }
    public int BigBytes { get; init; }
    public bool UsageWithChoices { get; init; }

    public static MockBehavior Parse(string model, MockBehavior defaults)
    {
        var at = model.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            return defaults;
        }
        var behavior = defaults;
        foreach (var option in model[(at + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = option.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? option : option[..eq];
            var value = eq < 0 ? 0 : int.Parse(option[(eq + 1)..], CultureInfo.InvariantCulture);
            behavior = name switch
            {
                "chunks" => behavior with { Chunks = value },
                "delay" => behavior with { DelayMs = value },
                "status" => behavior with { Status = value },
                "retry-after" => behavior with { RetryAfterSeconds = value },
                "drop" => behavior with { DropAfter = value },
                "nousage" => behavior with { NoUsage = true },
                "envelope" => behavior with { Envelope = true },
                "reasoning" => behavior with { Reasoning = true },
                "tools" => behavior with { Tools = true },
                "details" => behavior with { Details = true },
                "json" => behavior with { Json = true },
                "html" => behavior with { Html = true },
                "redirect" => behavior with { Redirect = true },
                "stall" => behavior with { StallMs = value },
                "stallbody" => behavior with { StallBodyMs = value },
                "linger" => behavior with { LingerMs = value },
                "malformed" => behavior with { Malformed = true },
                "crlf" => behavior with { Crlf = true },
                "split" => behavior with { Split = true },
                "big" => behavior with { BigBytes = value },
                "usagechoices" => behavior with { UsageWithChoices = true },
                _ => throw new ArgumentException($"Unknown mock option '{name}'."),
            };
        }
        return behavior;
    }
}
