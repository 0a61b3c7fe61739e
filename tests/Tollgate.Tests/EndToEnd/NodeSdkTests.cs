using System.Diagnostics;
using System.Text.Json;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// The official OpenAI Node SDK (tests/node-sdk, installed by npm from its lockfile) against the real gateway: Node drops
/// an answer that arrives while its upload fails, so it shows whether a refusal can be read by a client still sending.
/// </summary>
public sealed class NodeSdkTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const int Tries = 20;

    [Fact]
    public async Task OversizedPrompt_Every413IsReadByTheNodeSdk_NotAConnectionError()
    {
        // 5 MB against the harness's 64 KiB cap: the SDK is still uploading when the gateway answers.
        var outcomes = await RunAsync("oversized-prompt.mjs", new Uri(fixture.Host.BaseUri, "v1").ToString(), GatewayHost.Key, "5000000", Tries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new Dictionary<string, int> { ["413 request_too_large"] = Tries }, outcomes);
    }

    /// <summary>Runs a script of tests/node-sdk and reads the outcome counts it prints as its last line.</summary>
    private static async Task<Dictionary<string, int>> RunAsync(string script, params string[] args)
    {
        var folder = Path.Combine(RepoPaths.Root, "tests", "node-sdk");
        if (!File.Exists(Path.Combine(folder, "node_modules", "openai", "package.json")))
        {
            throw new InvalidOperationException(
                $"The OpenAI Node SDK is not installed in {folder}. Run 'bash tests/run-tests.sh', or 'npm ci --prefix tests/node-sdk' first.");
        }
        var info = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node.");
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(process.ExitCode == 0 && lines.Length > 0, $"node {script} exited {process.ExitCode}: {await errors}");
        return JsonSerializer.Deserialize<Dictionary<string, int>>(lines[^1])!;
    }
}
