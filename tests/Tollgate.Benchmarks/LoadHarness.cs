using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.Benchmarks;

/// <summary>
/// The load harness: Azurite, the mock upstream, a bare pass-through proxy and Tollgate (Release, metering on) on
/// loopback; wrk drives non-streaming and streaming requests at 1, 16 and 64 connections, in rounds of three runs
/// back to back: straight at the mock, through the pass-through and through Tollgate. Then metering off for
/// comparison, a sequential time-to-first-byte probe and idle-stream memory. Prints the table and writes
/// docs/performance.md with an SVG chart.
/// </summary>
internal static partial class LoadHarness
{
    private const string Key = "tg-bench-0000000000000000-loadtestkeyloadtestkeyloadtestkey";
    private const string StreamModel = "mock@chunks=18";   // role + 18 content + finish + [DONE] = 21 events
    private const string PlainModel = "mock@chunks=5";
    private const string IdleModel = "mock@stallbody=600000,chunks=1";

    public static async Task<int> RunAsync(string[] args)
    {
        var repo = Path.GetFullPath(Option(args, "--repo") ?? Directory.GetCurrentDirectory());
        var seconds = int.Parse(Option(args, "--seconds") ?? "8", CultureInfo.InvariantCulture);
        var quick = args.Contains("--quick");
        var rounds = int.Parse(Option(args, "--rounds") ?? (quick ? "1" : "3"), CultureInfo.InvariantCulture);
        var idleStreams = quick ? 200 : 1000;
        int[] connections = quick ? [1, 16] : [1, 16, 64];
        var work = Directory.CreateTempSubdirectory("tollgate-bench-").FullName;
        var logs = Path.Combine(repo, "tests", ".bench");
        Directory.CreateDirectory(logs);
        Console.WriteLine($"== Tollgate load harness: {seconds} s per run, {rounds} round(s) per scenario, logs in tests/.bench");

        var azuritePort = FreePort();
        var mockPort = FreePort();
        var passThroughPort = FreePort();
        var meteredPort = FreePort();
        var unmeteredPort = FreePort();
        var storage = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{azuritePort}/devstoreaccount1";

        var processes = new List<ManagedProcess>();
        try
        {
            processes.Add(ManagedProcess.Start("azurite", "node",
                [Path.Combine(repo, "tests/azurite/node_modules/azurite/dist/src/table/main.js"), "--tableHost", "127.0.0.1", "--tablePort", Port(azuritePort), "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
                repo, Path.Combine(logs, "azurite.log")));
            var mockDir = Path.Combine(repo, "tests/Tollgate.MockUpstream/bin/Release/net10.0");
            processes.Add(ManagedProcess.Start("mock", "dotnet",
                ["Tollgate.MockUpstream.dll", "--urls", $"http://127.0.0.1:{mockPort}", "--Mock:Record", "false"], mockDir, Path.Combine(logs, "mock.log")));
            var mock = processes[^1];
            var passThrough = ManagedProcess.Start("passthrough", "dotnet",
                [Path.Combine(AppContext.BaseDirectory, "Tollgate.Benchmarks.dll"), "passthrough", "--urls", $"http://127.0.0.1:{passThroughPort}", "--upstream", $"http://127.0.0.1:{mockPort}"],
                AppContext.BaseDirectory, Path.Combine(logs, "passthrough.log"), new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
            processes.Add(passThrough);
            var metered = StartGateway(repo, logs, "tollgate", meteredPort, mockPort, storage);
            processes.Add(metered);
            var unmetered = StartGateway(repo, logs, "tollgate-unmetered", unmeteredPort, mockPort, null);
            processes.Add(unmetered);
            await WaitForHealthAsync(mockPort);
            await WaitForHealthAsync(passThroughPort);
            await WaitForHealthAsync(meteredPort);
            await WaitForHealthAsync(unmeteredPort);

            // Steady state is what a long-running gateway serves: let tiered compilation finish in every process
            // (its background JIT otherwise lands in whichever scenario runs first) before measuring anything.
            Console.WriteLine("== Warming up (tiered compilation) for " + (quick ? 6 : 20) + " s");
            foreach (var (port, model, stream) in new[] { (mockPort, PlainModel, false), (mockPort, StreamModel, true), (passThroughPort, PlainModel, false), (passThroughPort, StreamModel, true), (meteredPort, "bench", false), (meteredPort, "bench-stream", true), (unmeteredPort, "bench", false), (unmeteredPort, "bench-stream", true) })
            {
                await WarmUpAsync(work, $"http://127.0.0.1:{port}", model, stream, quick ? 1 : 3);
            }

            // 1 and 16 connections, then metering off at 16 (before 64 connections, whose ledger backlog would
            // otherwise keep Azurite busy during the comparison), then 64 connections. Each round runs the three
            // targets back to back, so that a ratio compares runs minutes apart at most.
            var results = new List<LoadResult>();
            async Task RunScenarioAsync(bool stream, int c)
            {
                var scenario = (stream ? "stream (21 events)" : "non-stream") + $", {c} conn";
                var mockModel = stream ? StreamModel : PlainModel;
                List<WrkRun> direct = [], bare = [], through = [];
                for (var round = 0; round < rounds; round++)
                {
                    await WaitForQuietAsync(processes);
                    direct.Add(await RunWrkAsync(work, $"http://127.0.0.1:{mockPort}", mockModel, stream, c, seconds, mock));
                    await WaitForQuietAsync(processes);
                    bare.Add(await RunWrkAsync(work, $"http://127.0.0.1:{passThroughPort}", mockModel, stream, c, seconds, passThrough));
                    await WaitForQuietAsync(processes);
                    through.Add(await RunWrkAsync(work, $"http://127.0.0.1:{meteredPort}", stream ? "bench-stream" : "bench", stream, c, seconds, metered));
                }
                results.Add(new LoadResult(scenario, stream, c, direct, bare, through));
                Console.WriteLine(FormatRow(results[^1]));
            }
            foreach (var stream in new[] { false, true })
            {
                foreach (var c in connections)
                {
                    await RunScenarioAsync(stream, c);
                }
            }

            // Metering off, against the metered runs above: what metering costs inside the gateway at 16 and 64 connections.
            var meteringOff = new List<(string Scenario, WrkRun On, WrkRun Off)>();
            foreach (var stream in new[] { false, true })
            {
                foreach (var c in connections.Where(c => c >= 16))
                {
                    var on = results.First(r => r.Stream == stream && r.Connections == c).Tollgate;
                    var off = new List<WrkRun>();
                    for (var round = 0; round < rounds; round++)
                    {
                        await WaitForQuietAsync(processes);
                        off.Add(await RunWrkAsync(work, $"http://127.0.0.1:{unmeteredPort}", stream ? "bench-stream" : "bench", stream, c, seconds, unmetered));
                    }
                    meteringOff.Add((string.Create(CultureInfo.InvariantCulture, $"{(stream ? "stream" : "non-stream")}, {c} conn"), on, WrkRun.Median(off)));
                }
            }

            // The 64-connection runs can leave the ledger draining a backlog into Azurite; the probe measures an idle box.
            await WaitForQuietAsync(processes);
            // 1,000 samples each, so that the p99 is the tenth-slowest rather than the third: metering's effect on the tail.
            var samples = quick ? 100 : 1000;
            var ttfbDirect = await ProbeTimeToFirstByteAsync($"http://127.0.0.1:{mockPort}", StreamModel, samples);
            var ttfbPassThrough = await ProbeTimeToFirstByteAsync($"http://127.0.0.1:{passThroughPort}", StreamModel, samples);
            var ttfbThrough = await ProbeTimeToFirstByteAsync($"http://127.0.0.1:{meteredPort}", "bench-stream", samples);
            var ttfbUnmetered = await ProbeTimeToFirstByteAsync($"http://127.0.0.1:{unmeteredPort}", "bench-stream", samples);
            var idle = await MeasureIdleStreamsAsync($"http://127.0.0.1:{meteredPort}", metered, idleStreams);

            var report = Report.Build(repo, seconds, rounds, results, meteringOff, new TimeToFirstByte(ttfbDirect, ttfbPassThrough, ttfbThrough, ttfbUnmetered), idle);
            Console.WriteLine();
            Console.WriteLine(report.Table);
            await File.WriteAllTextAsync(Path.Combine(repo, "docs", "performance.md"), report.Markdown);
            await File.WriteAllTextAsync(Path.Combine(repo, "docs", "performance.svg"), report.Svg);
            Console.WriteLine("== Wrote docs/performance.md and docs/performance.svg");
            return 0;
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                await process.DisposeAsync();
            }
            Directory.Delete(work, recursive: true);
        }
    }

    private static ManagedProcess StartGateway(string repo, string logs, string name, int port, int mockPort, string? storage)
    {
        var args = new List<string>
        {
            "Tollgate.Server.dll", "--urls", $"http://127.0.0.1:{port}",
            "--Tollgate:Upstreams:mock:BaseUrl", $"http://127.0.0.1:{mockPort}",
            "--Tollgate:Upstreams:mock:Secret", "sk-bench-upstream",
            "--Tollgate:Upstreams:mock:Models:bench", PlainModel,
            "--Tollgate:Upstreams:mock:Models:bench-stream", StreamModel,
            "--Tollgate:Upstreams:mock:Models:bench-idle", IdleModel,
            "--Tollgate:Keys:0:Id", "bench",
            "--Tollgate:Keys:0:Key", Key,
        };
        // Every model priced, as in production (an unpriced model is refused).
        var index = 0;
        foreach (var model in new[] { "bench", "bench-stream", "bench-idle" })
        {
            args.AddRange([$"--Tollgate:Billing:Prices:{index}:Model", model, $"--Tollgate:Billing:Prices:{index}:InputPerMillion", "0.15",
                $"--Tollgate:Billing:Prices:{index}:OutputPerMillion", "0.60"]);
            index++;
        }
        if (storage is not null)
        {
            args.AddRange(["--Tollgate:Storage:ConnectionString", storage, "--Tollgate:Storage:TablePrefix", "bench"]);
        }
        return ManagedProcess.Start(name, "dotnet", args, Path.Combine(repo, "src/Tollgate.Server/bin/Release/net10.0"), Path.Combine(logs, name + ".log"),
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
    }

    private static async Task<string> WriteScriptAsync(string work, string model, bool stream)
    {
        var script = Path.Combine(work, $"{Guid.NewGuid():N}.lua");
        var body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something useful about gateways."}]}""";
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "POST"
            wrk.body = '{{body}}'
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Authorization"] = "Bearer {{Key}}"
            """);
        return script;
    }

    private static async Task<WrkRun> RunWrkAsync(string work, string baseUrl, string model, bool stream, int connections, int seconds, ManagedProcess target)
    {
        var script = await WriteScriptAsync(work, model, stream);
        var threads = connections == 1 ? 1 : 2;
        var url = baseUrl + "/v1/chat/completions";

        await RunProcessAsync("wrk", ["-t1", $"-c{connections}", "-d2s", "-s", script, url]); // warm-up, discarded
        var cpuBefore = target.CpuTime();
        var switchesBefore = target.ContextSwitches();
        using var sampler = new RssSampler(target);
        var output = await RunProcessAsync("wrk", [$"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", script, url]);
        var cpu = target.CpuTime() - cpuBefore;
        return WrkRun.Parse(output, cpu, sampler.Peak, target.ContextSwitches() - switchesBefore);
    }

    private static async Task WarmUpAsync(string work, string baseUrl, string model, bool stream, int seconds)
    {
        var script = await WriteScriptAsync(work, model, stream);
        await RunProcessAsync("wrk", ["-t1", "-c16", $"-d{seconds}s", "-s", script, baseUrl + "/v1/chat/completions"]);
    }

    private static async Task<List<double>> ProbeTimeToFirstByteAsync(string baseUrl, string model, int count)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(baseUrl) };
        var body = $$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"first byte please"}]}""";
        var times = new List<double>();
        var buffer = new byte[1];
        for (var i = 0; i < count + 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
            var start = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var content = await response.Content.ReadAsStreamAsync();
            _ = await content.ReadAsync(buffer);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await content.CopyToAsync(Stream.Null);
            if (i >= 20)
            {
                times.Add(elapsed); // the first 20 warm up connections and JIT
            }
        }
        times.Sort();
        return times;
    }

    /// <summary>Opens <paramref name="count"/> streams whose upstream stays silent, and measures Tollgate's RSS growth, as it is and after a full collection on both sides.</summary>
    private static async Task<IdleStreams> MeasureIdleStreamsAsync(string baseUrl, ManagedProcess gateway, int count)
    {
        await Task.Delay(2000);
        var before = gateway.ResidentBytes();
        await gateway.CollectGarbageAsync();
        var beforeCollected = gateway.ResidentBytes();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = count + 10 })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        using var stop = new CancellationTokenSource();
        var body = """{"model":"bench-idle","stream":true,"messages":[{"role":"user","content":"wait"}]}""";
        var streams = Enumerable.Range(0, count).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
                await (await response.Content.ReadAsStreamAsync(stop.Token)).CopyToAsync(Stream.Null, stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }).ToList();

        await Task.Delay(TimeSpan.FromSeconds(8));
        var after = gateway.ResidentBytes();
        await gateway.CollectGarbageAsync();
        var afterCollected = gateway.ResidentBytes();
        stop.Cancel();
        await Task.WhenAll(streams);
        return new IdleStreams(count, before, after, beforeCollected, afterCollected);
    }

    /// <summary>Waits (up to a minute) until every started process is nearly idle, e.g. the ledger has drained into Azurite.</summary>
    private static async Task WaitForQuietAsync(IReadOnlyList<ManagedProcess> processes)
    {
        for (var i = 0; i < 60; i++)
        {
            var before = processes.Select(p => p.CpuTime()).ToArray();
            await Task.Delay(1000);
            var busiest = processes.Select((p, j) => (p.CpuTime() - before[j]).TotalMilliseconds).Max();
            if (busiest < 100)
            {
                return;
            }
        }
    }

    private static async Task<string> RunProcessAsync(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {error}{output}");
        }
        return output;
    }

    private static async Task WaitForHealthAsync(int port)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 120; i++)
        {
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{port}/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(500);
        }
        throw new InvalidOperationException($"nothing answered /healthz on port {port}; see tests/.bench/*.log");
    }

    private static string FormatRow(LoadResult r) =>
        $"{r.Scenario,-28} direct {r.Direct.RequestsPerSecond,7:F0} rps | pass-through {r.PassThrough.RequestsPerSecond,7:F0} rps, cpu {r.PassThrough.CpuMsPerRequest,6:F3} ms/req | tollgate {r.Tollgate.RequestsPerSecond,7:F0} rps ({r.PassThroughRatio:F2}x), cpu {r.Tollgate.CpuMsPerRequest,6:F3} ms/req ({r.CpuRatio:F2}x), {r.Tollgate.ContextSwitchesPerRequest,4:F1} switches/req, errors {r.Tollgate.Errors}";

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Samples a process's RSS every 100 ms while alive; <see cref="Peak"/> is the largest seen.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _peak;

        public RssSampler(ManagedProcess process)
        {
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    _peak = Math.Max(_peak, process.ResidentBytes());
                    try
                    {
                        await Task.Delay(100, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });
        }

        public long Peak => Volatile.Read(ref _peak);

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }
}
