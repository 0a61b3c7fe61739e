using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Infra;

/// <summary>
/// The Bicep CLI restored by the test project (PackageDownload Azure.Bicep.CommandLine.linux-x64); its path
/// comes from the assembly metadata "BicepCli" set in Tollgate.Tests.csproj.
/// </summary>
internal static partial class BicepCli
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        /// <summary>Diagnostic lines on stderr: "path(line,col) : Warning|Error code: message".</summary>
        public IReadOnlyList<string> Diagnostics => [.. StdErr.Split('\n').Select(l => l.Trim()).Where(l => DiagnosticLine().IsMatch(l))];

        public string Describe() => $"exit {ExitCode}\n{StdErr.Trim()}";
    }

    public static string Path { get; } = FindBinary();

    public static bool Supported => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.OSArchitecture == Architecture.X64;

    public static async Task<Result> RunAsync(params string[] args)
    {
        if (!Supported)
        {
            Assert.Skip("The restored Bicep CLI package is linux-x64 only.");
        }
        EnsureExecutable();
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // No telemetry and no update checks: the CLI runs offline here.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static string FindBinary()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BicepCli")?.Value;
        return string.IsNullOrEmpty(path)
            ? throw new InvalidOperationException("Assembly metadata BicepCli is missing: see Tollgate.Tests.csproj.")
            : path;
    }

    private static void EnsureExecutable()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"The Bicep CLI is not at {Path}; run dotnet restore on tests/Tollgate.Tests.", Path);
        }
        // NuGet extracts package files without the execute bit.
        const UnixFileMode Execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(Path);
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(Path, mode | Execute);
        }
    }

    [GeneratedRegex(@"\) : (Warning|Error) ")]
    private static partial Regex DiagnosticLine();
}

/// <summary>Compiles infra/main.bicep once for all the infra tests.</summary>
public sealed class CompiledInfra : IAsyncLifetime
{
    private BicepCli.Result? _build;
    private JsonDocument? _template;

    internal BicepCli.Result Build
    {
        get
        {
            if (!BicepCli.Supported)
            {
                Assert.Skip("The restored Bicep CLI package is linux-x64 only.");
            }
            return _build ?? throw new InvalidOperationException("infra/main.bicep was not built");
        }
    }

    /// <summary>The compiled ARM template; fails the calling test with the compiler's output when the build failed.</summary>
    internal JsonElement Template
    {
        get
        {
            Assert.True(Build.ExitCode == 0 && _template is not null, "bicep build failed: " + Build.Describe());
            return _template!.RootElement;
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!BicepCli.Supported)
        {
            return;
        }
        _build = await BicepCli.RunAsync("build", "infra/main.bicep", "--stdout");
        if (_build.ExitCode == 0)
        {
            _template = JsonDocument.Parse(_build.StdOut);
        }
    }

    public ValueTask DisposeAsync()
    {
        _template?.Dispose();
        return ValueTask.CompletedTask;
    }

    internal ArmDeployment Evaluate(IReadOnlyDictionary<string, object?> parameters) => ArmDeployment.Evaluate(Template, parameters);
}
