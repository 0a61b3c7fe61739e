using System.Diagnostics;
using System.Globalization;

namespace Tollgate.Benchmarks;

/// <summary>A child process the harness started: output to a log file, CPU and memory read from /proc, stopped at the end.</summary>
internal sealed class ManagedProcess : IAsyncDisposable
{
    private static readonly long ClockTicks = ReadClockTicks();
    private readonly Process _process;

    private ManagedProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public static ManagedProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, string logFile, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ManagedProcess(name, process);
    }

    /// <summary>User plus system CPU time the process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / ClockTicks);
    }

    /// <summary>Voluntary plus involuntary context switches of the process's live threads so far.</summary>
    public long ContextSwitches()
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.Contains("ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }
        return total;
    }

    /// <summary>
    /// Has the .NET process run a full, blocking garbage collection, the way dotnet-gcdump does: an EventPipe
    /// session over the diagnostics socket with the runtime's GCHeapCollect keyword. Then what is resident is
    /// what the process holds, not garbage its next collection would reclaim.
    /// </summary>
    public async Task CollectGarbageAsync()
    {
        const long GcKeyword = 0x1, GcHeapCollectKeyword = 0x800000;
        var client = new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(_process.Id);
        using var session = client.StartEventPipeSession(
            [new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Informational, GcKeyword | GcHeapCollectKeyword)],
            requestRundown: false);
        var drain = Task.Run(() => session.EventStream.CopyTo(Stream.Null));
        await Task.Delay(1500);
        await session.StopAsync(CancellationToken.None);
        await drain;
    }

    /// <summary>Resident set size now, in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                using var interrupt = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await interrupt.WaitForExitAsync();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (Exception)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    private static long ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return long.TryParse(text, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
