using System.Diagnostics;
using System.Net;
using System.Text;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Hosting;

/// <summary>The standalone host as a real process, the way a service unit or a container starts it.</summary>
public sealed class StandaloneHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartedFromAnotherDirectory_ReadsItsOwnAppSettings()
    {
        var dll = Path.Combine(typeof(Tollgate.Server.TollgateServer).Assembly.Location);
        var settings = Path.Combine(Path.GetDirectoryName(dll)!, "appsettings.json");
        Assert.True(File.Exists(settings), "the host's appsettings.json is not beside it");
        // The test project also references the Functions app, whose worker has an appsettings.json of its own.
        Assert.True(File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Tollgate.Server", "appsettings.json")) == File.ReadAllText(settings),
            "the appsettings.json beside the host is not the host's");
        var elsewhere = Directory.CreateTempSubdirectory("tollgate-cwd-");
        var port = StandaloneProcess.FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = elsewhere.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        var output = new StringBuilder();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            HttpResponseMessage? health = null;
            for (var i = 0; i < 200 && health is null; i++)
            {
                try
                {
                    health = await http.GetAsync("healthz", Ct);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, Ct);
                }
            }
            Assert.NotNull(health);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            for (var i = 0; i < 5; i++)
            {
                (await http.GetAsync("healthz", Ct)).Dispose();
            }
        }
        finally
        {
            // A graceful stop (SIGTERM) flushes the batching logger, so every line the requests caused is in the output.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync(Ct);
            }
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            stopped.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(stopped.Token);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                elsewhere.Delete(recursive: true);
            }
        }
        await process.WaitForExitAsync(Ct);

        // appsettings.json sets Microsoft.AspNetCore to Warning: without it, ASP.NET logs lines for every request.
        var log = output.ToString();
        Assert.Contains("Application is shutting down", log, StringComparison.Ordinal); // the log was flushed to its end
        Assert.DoesNotContain("Request starting", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Executing endpoint", log, StringComparison.Ordinal);
    }
}
