using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Tollgate.Benchmarks;

/// <summary>Turns the harness's measurements into the console table, docs/performance.md and docs/performance.svg.</summary>
internal sealed record Report(string Table, string Markdown, string Svg)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Report Build(string repo, int seconds, int rounds, IReadOnlyList<LoadResult> results, IReadOnlyList<(string Scenario, WrkRun On, WrkRun Off)> meteringOff,
        TimeToFirstByte ttfb, IdleStreams idle)
    {
        var table = new StringBuilder();
        table.AppendLine("| scenario | direct req/s | pass-through req/s | Tollgate req/s | Tollgate ÷ direct | Tollgate ÷ pass-through (rounds) | direct p50 ms | pass-through p50 / p99 ms | Tollgate p50 / p90 / p99 ms | pass-through CPU ms/req | Tollgate CPU ms/req | CPU ÷ pass-through (rounds) | mock CPU ms/req (direct) | thread switches/req pass-through / Tollgate | peak RSS MB pass-through / Tollgate | errors |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var (p, t, d) = (r.PassThrough, r.Tollgate, r.Direct);
            var errors = r.DirectRounds.Concat(r.PassThroughRounds).Concat(r.TollgateRounds).Sum(x => x.Errors);
            table.AppendLine(Inv, $"| {r.Scenario} | {d.RequestsPerSecond:F0} | {p.RequestsPerSecond:F0} | {t.RequestsPerSecond:F0} | {r.ThroughputRatio:F2} | {r.PassThroughRatio:F2} ({Range(r.PassThroughRatioSpread)}) | {d.P50Ms:F2} | {p.P50Ms:F2} / {p.P99Ms:F2} | {t.P50Ms:F2} / {t.P90Ms:F2} / {t.P99Ms:F2} | {p.CpuMsPerRequest:F3} | {t.CpuMsPerRequest:F3} | {r.CpuRatio:F2} ({Range(r.CpuRatioSpread)}) | {d.CpuMsPerRequest:F3} | {p.ContextSwitchesPerRequest:F1} / {t.ContextSwitchesPerRequest:F1} | {p.PeakRssBytes / 1048576.0:F0} / {t.PeakRssBytes / 1048576.0:F0} | {errors} |");
        }

        var targets = new StringBuilder();
        targets.AppendLine("| target | measured | met |");
        targets.AppendLine("|---|---|---|");
        void Target(string what, string measured, bool met) => targets.AppendLine(Inv, $"| {what} | {measured} | {(met ? "yes" : "**no**")} |");
        foreach (var r in results.Where(r => r.Connections >= 16))
        {
            var floor = r.Stream ? 0.90 : 0.95;
            Target($"throughput ≥ {floor:F2}× the bare pass-through's ({r.Scenario})", $"{r.PassThroughRatio:F2}× (rounds {Range(r.PassThroughRatioSpread)})", r.PassThroughRatio >= floor);
            if (r.Stream)
            {
                Target($"CPU per request ≤ 1.15× the bare pass-through's ({r.Scenario})", $"{r.CpuRatio:F2}× (rounds {Range(r.CpuRatioSpread)}): {r.Tollgate.CpuMsPerRequest:F3} vs {r.PassThrough.CpuMsPerRequest:F3} ms", r.CpuRatio <= 1.15);
            }
        }
        foreach (var r in results)
        {
            var limit = r.Stream ? 0.15 : 0.10;
            Target($"CPU per {(r.Stream ? "21-event stream" : "non-streaming request")} ≤ {limit:F2} ms ({r.Scenario})", $"{r.Tollgate.CpuMsPerRequest:F3} ms (the mock alone: {r.Direct.CpuMsPerRequest:F3})", r.Tollgate.CpuMsPerRequest <= limit);
        }
        foreach (var r in results.Where(r => r.Connections == 16))
        {
            Target($"added p50 at 16 connections ≤ 0.7 ms ({r.Scenario})", $"{r.AddedP50Ms:F2} ms", r.AddedP50Ms <= 0.7);
        }
        var (p50Bare, p50Through) = (Percentile(ttfb.PassThrough, 0.5), Percentile(ttfb.Tollgate, 0.5));
        var (p99Bare, p99Through) = (Percentile(ttfb.PassThrough, 0.99), Percentile(ttfb.Tollgate, 0.99));
        Target("sequential stream time to first byte, p50 ≤ the pass-through's + 0.3 ms", $"{p50Through:F2} ms vs {p50Bare:F2} ms (+{p50Through - p50Bare:F2})", p50Through - p50Bare <= 0.3);
        Target("sequential stream time to first byte, p99 ≤ the pass-through's + 1 ms", $"{p99Through:F2} ms vs {p99Bare:F2} ms (+{p99Through - p99Bare:F2})", p99Through - p99Bare <= 1.0);
        var p99Off = Percentile(ttfb.TollgateUnmetered, 0.99);
        Target("metering adds nothing measurable to the p99 of stream time to first byte (≤ +0.25 ms over metering off)", $"{p99Through:F2} ms vs {p99Off:F2} ms", p99Through - p99Off <= 0.25);
        foreach (var r in results.Where(r => r.Connections == 64))
        {
            Target($"no request refused for metering at 64 connections ({r.Scenario})", $"{r.TollgateRounds.Sum(x => x.Errors)} errors", r.TollgateRounds.All(x => x.Errors == 0));
        }
        foreach (var (scenario, on, off) in meteringOff)
        {
            var cost = 1 - on.RequestsPerSecond / off.RequestsPerSecond;
            Target($"metering on costs ≤ 15% throughput ({scenario}; Azurite shares the cores)", $"{on.RequestsPerSecond:F0} vs {off.RequestsPerSecond:F0} req/s ({cost:P1})", cost <= 0.15);
            var cpuCost = on.CpuMsPerRequest / off.CpuMsPerRequest - 1;
            Target($"metering on costs ≤ 15% of Tollgate's CPU per request ({scenario})", $"{on.CpuMsPerRequest:F3} vs {off.CpuMsPerRequest:F3} ms ({cpuCost:P1})", cpuCost <= 0.15);
        }
        foreach (var r in results.Where(r => r.Connections == 64))
        {
            var rss = (double)r.Tollgate.PeakRssBytes / r.PassThrough.PeakRssBytes;
            Target($"peak RSS at 64 connections ≤ 1.5× the pass-through's ({r.Scenario})", $"{r.Tollgate.PeakRssBytes / 1048576.0:F0} vs {r.PassThrough.PeakRssBytes / 1048576.0:F0} MB ({rss:F2}×)", rss <= 1.5);
        }
        Target($"≤ 20 KB per idle open stream ({idle.Count} streams, after a full GC)", $"{idle.CollectedKbPerStream:F1} KB ({idle.KbPerStream:F1} KB before collecting)", idle.CollectedKbPerStream <= 20);

        var md = new StringBuilder();
        md.AppendLine("# Performance");
        md.AppendLine();
        md.AppendLine("Generated by `bash tests/run-bench.sh`; do not edit by hand. The harness starts Azurite, the mock upstream,");
        md.AppendLine("a bare pass-through proxy and Tollgate's standalone host (Release, metering on: usage records go to Azurite) on");
        md.AppendLine(Inv, $"loopback, and drives them with wrk for {seconds} s per run after a 2 s warm-up (and, once at the start, a few seconds of");
        md.AppendLine("load on every process so tiered compilation has finished: the figures are a long-running server's). Every load");
        md.AppendLine(Inv, $"runs in {rounds} round(s) of three runs back to back: straight at the mock upstream (what a client calling the");
        md.AppendLine("provider directly would see), through the bare pass-through, and through Tollgate. The pass-through");
        md.AppendLine("(`tests/Tollgate.Benchmarks/BarePassThrough.cs`) is Kestrel in and Tollgate's `SocketsHttpHandler` settings out,");
        md.AppendLine("copying headers and bytes and nothing else: the floor for any .NET proxy on this machine, so Tollgate ÷ pass-through");
        md.AppendLine("is what Tollgate's features cost. Each figure is the median round (by requests/s); the ratios' range over the");
        md.AppendLine("rounds, each round's Tollgate run against the same round's pass-through run, shows the noise. Non-streaming");
        md.AppendLine("requests return a 5-token completion; streaming requests return 21 SSE events. CPU per");
        md.AppendLine("request is a process's user+system time from /proc divided by the requests served; beside it, the mock's own CPU");
        md.AppendLine("per request in the direct run: what a bare Kestrel app that answers from memory costs on this machine, a floor");
        md.AppendLine("for a proxy that does the same work twice (client side and upstream side). Thread switches per request are the");
        md.AppendLine("voluntary and involuntary context switches of Tollgate's threads (/proc/<pid>/task/*/status) per request: each");
        md.AppendLine("is a sleep and a wake-up, and on these VMs they are most of the CPU at low concurrency. RSS is sampled every 100 ms.");
        md.AppendLine("wrk, the mock and Tollgate share the machine's cores, so absolute figures understate a dedicated host; the ratios");
        md.AppendLine("and CPU per request are the comparable numbers. Before each run the harness waits until every process is idle.");
        md.AppendLine("On the shared 2-core development VMs, repeated runs of this harness have differed by up to a third in");
        md.AppendLine("requests/s and CPU per request, and idle-stream memory by ±10 KB per stream; compare runs made back to back.");
        md.AppendLine();
        md.AppendLine("Errors are non-2xx responses and socket errors. Tollgate answers 503 `metering_unavailable` when the usage");
        md.AppendLine("ledger's buffer is full (storage cannot keep up); the ledger packs about a thousand records into each entity it");
        md.AppendLine("writes, so Azurite (one Node.js process on the same two cores) stores a few entities per second under any load here.");
        md.AppendLine();
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine(Inv, $"- {Environment.ProcessorCount} cores: {CpuModel()}");
        md.AppendLine(Inv, $"- {MemoryTotal()} memory, {RuntimeInformation.OSDescription}");
        md.AppendLine(Inv, $"- {RuntimeInformation.FrameworkDescription}; run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine("## Throughput and latency: direct, bare pass-through and Tollgate");
        md.AppendLine();
        md.Append(table);
        md.AppendLine();
        md.AppendLine("![Throughput and p50 latency: direct, bare pass-through and Tollgate](performance.svg)");
        md.AppendLine();
        md.AppendLine("## Time to first byte of a stream (sequential, one at a time)");
        md.AppendLine();
        md.AppendLine("| path | p50 ms | p90 ms | p99 ms |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var (path, samples) in new[] { ("direct", ttfb.Direct), ("through the bare pass-through", ttfb.PassThrough), ("through Tollgate (metering into Azurite)", ttfb.Tollgate), ("through Tollgate (metering off: records in memory)", ttfb.TollgateUnmetered) })
        {
            md.AppendLine(Inv, $"| {path} | {Percentile(samples, 0.5):F2} | {Percentile(samples, 0.9):F2} | {Percentile(samples, 0.99):F2} |");
        }
        md.AppendLine();
        md.AppendLine("## Metering on vs off (16 and 64 connections)");
        md.AppendLine();
        md.AppendLine("Throughput includes Azurite competing for the same two cores while it stores the records; Tollgate's own CPU");
        md.AppendLine("per request, on and off, isolates what metering costs inside the gateway.");
        md.AppendLine();
        md.AppendLine("| scenario | metering on req/s | metering off req/s | throughput cost | Tollgate CPU ms/req on | off |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (scenario, on, off) in meteringOff)
        {
            md.AppendLine(Inv, $"| {scenario} | {on.RequestsPerSecond:F0} | {off.RequestsPerSecond:F0} | {1 - on.RequestsPerSecond / off.RequestsPerSecond:P1} | {on.CpuMsPerRequest:F3} | {off.CpuMsPerRequest:F3} |");
        }
        md.AppendLine();
        md.AppendLine("## Where a stream's cost goes");
        md.AppendLine();
        var profile = ProfileSummary(repo);
        md.AppendLine("`bash tests/profile-stream.sh` (run by `tests/run-bench.sh` before the load) drives 21-event streams at 16 connections");
        md.AppendLine("through the bare pass-through and through Tollgate (metering to memory) while `strace -c -f` counts each process's");
        md.AppendLine("system calls and perf samples its CPU. What was found with it, and what each change bought, is in");
        md.AppendLine("[performance-history.md](performance-history.md).");
        md.AppendLine();
        md.AppendLine(profile.Length > 0 ? profile : "(No profile in this run: tests/.bench/profile/summary.txt is missing; run with strace and perf installed.)");
        md.AppendLine();
        md.AppendLine("## Idle open streams");
        md.AppendLine();
        md.AppendLine(Inv, $"{idle.Count} concurrent streams whose upstream sent headers and then nothing: Tollgate's RSS went from");
        md.AppendLine(Inv, $"{idle.Before / 1048576.0:F1} MB to {idle.After / 1048576.0:F1} MB, {idle.KbPerStream:F1} KB per open stream. That includes garbage from opening");
        md.AppendLine("them that the next collection reclaims; with a full GC induced before each reading (over the diagnostics socket,");
        md.AppendLine(Inv, $"as dotnet-gcdump does) it went from {idle.BeforeCollected / 1048576.0:F1} MB to {idle.AfterCollected / 1048576.0:F1} MB, {idle.CollectedKbPerStream:F1} KB per open stream: what an open");
        md.AppendLine("stream holds (a heap snapshot of 1,000 idle streams showed ~25 KB of live objects each: 8 KB are SocketsHttpHandler's");
        md.AppendLine("read and write buffers for the upstream connection, ~6 KB Kestrel's connection and request state, ~4 KB two");
        md.AppendLine("sockets' state, ~3 KB Tollgate's own request state).");
        md.AppendLine();
        md.AppendLine("## Against the targets");
        md.AppendLine();
        md.Append(targets);
        md.AppendLine();
        md.AppendLine("""
            Why the missed ratios are missed, and what closing them would take (the profile above and
            docs/performance-history.md, "Streams against a bare pass-through proxy"): throughput ratios sit below the CPU
            ratios because wrk, the mock, Azurite and both proxies share two cores, so every microsecond Tollgate spends is
            taken from the others; the CPU still over the pass-through's is, largest first, the async stages' state
            machines, Polly's circuit-breaker pipeline (about 1.7 µs and 0.6 KB a request; a lock-free breaker of
            Tollgate's own is the biggest single step), the key's SHA-256 (about 1 µs) and the ledger's writes into an
            Azurite on the same cores. Tollgate's RSS floor is about 170 MB against the pass-through's 86 MB, about
            55 MB of it the o200k tokenizer's vocabulary that budgets need to count each prompt before it is forwarded;
            the rest of the 64-connection peak follows the aggregation job and the ledger's backlog.
            """);
        md.AppendLine();
        var micro = MicroResults(repo);
        if (micro.Length > 0)
        {
            md.AppendLine("## Micro-benchmarks (BenchmarkDotNet)");
            md.AppendLine();
            md.AppendLine("Hot-path pieces in isolation; `Allocated` is bytes allocated per operation (per event for the relay).");
            md.AppendLine();
            md.AppendLine(micro);
        }
        return new Report(table.ToString() + Environment.NewLine + targets, md.ToString(), Chart(results));
    }

    private static string Range((double Min, double Max) spread) => string.Create(Inv, $"{spread.Min:F2}–{spread.Max:F2}");

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Floor(p * sorted.Count))];

    /// <summary>The system calls per request of both proxies, as tests/profile-stream.sh summarised them, in a fenced block.</summary>
    private static string ProfileSummary(string repo)
    {
        var file = Path.Combine(repo, "tests", ".bench", "profile", "summary.txt");
        return File.Exists(file) ? "```\n" + File.ReadAllText(file).TrimEnd() + "\n```" : "";
    }

    private static string MicroResults(string repo)
    {
        var dir = Path.Combine(repo, "tests", ".bench", "micro", "results");
        if (!Directory.Exists(dir))
        {
            return "";
        }
        var sb = new StringBuilder();
        foreach (var file in Directory.GetFiles(dir, "*-report-github.md").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file).SkipWhile(l => !l.StartsWith('|')).ToArray();
            sb.AppendLine(string.Join('\n', lines)).AppendLine();
        }
        return sb.ToString().TrimEnd();
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string MemoryTotal()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal));
        var kb = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv);
        return $"{kb / 1048576.0:F0} GiB";
    }

    /// <summary>Two grouped bar charts: requests/s and p50 latency, direct, bare pass-through and Tollgate, per scenario.</summary>
    private static string Chart(IReadOnlyList<LoadResult> results)
    {
        const int Width = 960, PanelHeight = 260, Left = 70, Top = 40, BarWidth = 26, Gap = 18;
        var svg = new StringBuilder();
        svg.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{2 * PanelHeight + 120}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Panel("Requests per second (higher is better)", r => r.Direct.RequestsPerSecond, r => r.PassThrough.RequestsPerSecond, r => r.Tollgate.RequestsPerSecond, "F0", Top);
        Panel("p50 latency, ms (lower is better)", r => r.Direct.P50Ms, r => r.PassThrough.P50Ms, r => r.Tollgate.P50Ms, "F2", Top + PanelHeight + 50);
        var legendY = 2 * PanelHeight + 110;
        svg.AppendLine(Inv, $"<rect x=\"{Left}\" y=\"{legendY - 10}\" width=\"12\" height=\"12\" fill=\"#9aa5b1\"/><text x=\"{Left + 18}\" y=\"{legendY}\">direct to upstream</text>");
        svg.AppendLine(Inv, $"<rect x=\"{Left + 160}\" y=\"{legendY - 10}\" width=\"12\" height=\"12\" fill=\"#e0a040\"/><text x=\"{Left + 178}\" y=\"{legendY}\">bare pass-through</text>");
        svg.AppendLine(Inv, $"<rect x=\"{Left + 320}\" y=\"{legendY - 10}\" width=\"12\" height=\"12\" fill=\"#2f6fdf\"/><text x=\"{Left + 338}\" y=\"{legendY}\">through Tollgate</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();

        void Panel(string title, Func<LoadResult, double> direct, Func<LoadResult, double> bare, Func<LoadResult, double> through, string format, int top)
        {
            var max = results.Max(r => Math.Max(direct(r), Math.Max(bare(r), through(r))));
            max = max <= 0 || double.IsNaN(max) ? 1 : max * 1.15;
            var chartHeight = PanelHeight - 60;
            svg.AppendLine(Inv, $"<text x=\"{Left}\" y=\"{top}\" font-size=\"14\" font-weight=\"bold\">{title}</text>");
            svg.AppendLine(Inv, $"<line x1=\"{Left}\" y1=\"{top + 10 + chartHeight}\" x2=\"{Width - 20}\" y2=\"{top + 10 + chartHeight}\" stroke=\"#333\"/>");
            var x = Left + 10;
            foreach (var r in results)
            {
                foreach (var (value, color) in new[] { (direct(r), "#9aa5b1"), (bare(r), "#e0a040"), (through(r), "#2f6fdf") })
                {
                    var height = double.IsNaN(value) ? 0 : value / max * chartHeight;
                    var y = top + 10 + chartHeight - height;
                    svg.AppendLine(Inv, $"<rect x=\"{x}\" y=\"{y:F1}\" width=\"{BarWidth}\" height=\"{height:F1}\" fill=\"{color}\"/>");
                    svg.AppendLine(Inv, $"<text x=\"{x + BarWidth / 2}\" y=\"{y - 3:F1}\" text-anchor=\"middle\" font-size=\"10\">{value.ToString(format, Inv)}</text>");
                    x += BarWidth;
                }
                var label = (r.Stream ? "stream" : "plain") + " c" + r.Connections.ToString(Inv);
                svg.AppendLine(Inv, $"<text x=\"{x - 3 * BarWidth / 2}\" y=\"{top + chartHeight + 26}\" text-anchor=\"middle\">{label}</text>");
                x += Gap + 40;
            }
        }
    }
}
