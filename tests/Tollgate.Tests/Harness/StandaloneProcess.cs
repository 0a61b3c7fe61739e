using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tollgate.Tests.Harness;

/// <summary>The standalone host as a process of its own: for tests that kill a host outright (kill -9), which an in-process host cannot show.</summary>
public static class StandaloneProcess
{
    /// <summary>Starts Tollgate.Server on <paramref name="port"/> with <paramref name="settings"/> as command-line configuration.</summary>
    public static Process Start(int port, Dictionary<string, string?> settings)
    {
        var dll = typeof(Tollgate.Server.TollgateServer).Assembly.Location;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (name, value) in settings)
        {
            info.ArgumentList.Add($"--{name}={value}");
        }
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits up to 30 s for the host's <c>/healthz</c> to answer 200.</summary>
    public static async Task WaitHealthyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var health = await http.GetAsync("healthz", cancellationToken);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new Xunit.Sdk.XunitException("The standalone host did not become healthy within 30 s.");
    }

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
