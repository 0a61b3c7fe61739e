using System.Globalization;
using System.Text.RegularExpressions;

namespace Tollgate.Benchmarks;

/// <summary>One wrk run, parsed, plus the target process's CPU time and peak RSS during it.</summary>
internal sealed partial record WrkRun(double RequestsPerSecond, long Requests, double P50Ms, double P90Ms, double P99Ms, long Errors, TimeSpan Cpu, long PeakRssBytes, long ContextSwitches)
{
    public double CpuMsPerRequest => Requests == 0 ? 0 : Cpu.TotalMilliseconds / Requests;

    /// <summary>The process's thread switches per request: each is a sleep and a wake-up, costly on a VM.</summary>
    public double ContextSwitchesPerRequest => Requests == 0 ? 0 : (double)ContextSwitches / Requests;

    /// <summary>The median of repeated runs by requests/s (the lower middle one of an even count), whole, so its figures belong together.</summary>
    public static WrkRun Median(IReadOnlyList<WrkRun> rounds) =>
        rounds.OrderBy(r => r.RequestsPerSecond).ElementAt((rounds.Count - 1) / 2);

    public static WrkRun Parse(string output, TimeSpan cpu, long peakRss, long contextSwitches)
    {
        double Percentile(string p) => LatencyLine().Matches(output).Where(m => m.Groups[1].Value == p).Select(m => ToMs(m.Groups[2].Value, m.Groups[3].Value)).FirstOrDefault(double.NaN);
        var rps = double.Parse(RequestsPerSecondLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(RequestCount().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = 0L;
        var non2xx = Non2xx().Match(output);
        if (non2xx.Success)
        {
            errors += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        var socket = SocketErrors().Match(output);
        if (socket.Success)
        {
            for (var g = 1; g <= 4; g++)
            {
                errors += long.Parse(socket.Groups[g].Value, CultureInfo.InvariantCulture);
            }
        }
        return new WrkRun(rps, requests, Percentile("50%"), Percentile("90%"), Percentile("99%"), errors, cpu, peakRss, contextSwitches);
    }

    private static double ToMs(string value, string unit)
    {
        var number = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number / 1000,
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            _ => number,
        };
    }

    [GeneratedRegex(@"^\s+(50%|75%|90%|99%)\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
