using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.Tests.Harness;

/// <summary>
/// A real Azurite Table service (from tests/azurite, installed by npm) on a free loopback port. In memory
/// by default; on disk when it must survive a restart. Fails loudly, never skips, when it cannot start.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    private readonly string? _location;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private AzuriteInstance(int port, string? location)
    {
        Port = port;
        _location = location;
    }

    public int Port { get; }

    /// <summary>Azurite's published, fixed development account key (not a secret).</summary>
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentKey};TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>Tollgate's tables under <paramref name="prefix"/>, through the SDK as the gateway builds it; optionally over <paramref name="handler"/>.</summary>
    public Tollgate.Storage.TableStorage CreateStorage(string prefix, HttpMessageHandler? handler = null)
    {
        var options = Tollgate.Storage.TableStorage.CreateClientOptions();
        if (handler is not null)
        {
            options.Transport = new Azure.Core.Pipeline.HttpClientTransport(handler);
        }
        var service = Tollgate.Storage.TableStorage.CreateServiceClient(new Tollgate.Storage.StorageOptions { ConnectionString = ConnectionString }, options);
        return new Tollgate.Storage.TableStorage(service, prefix);
    }

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<AzuriteInstance> StartAsync(bool persistent = false)
    {
        var location = persistent ? Directory.CreateTempSubdirectory("tollgate-azurite-").FullName : null;
        var instance = new AzuriteInstance(FreePort(), location);
        await instance.StartAsync();
        return instance;
    }

    public async Task StartAsync()
    {
        var main = Path.Combine(RepoPaths.Root, "tests", "azurite", "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(main))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({main} is missing). Run 'bash tests/run-tests.sh', or 'npm ci --prefix tests/azurite' first.");
        }
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { main, "--tableHost", "127.0.0.1", "--tablePort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--disableTelemetry", "--skipApiVersionCheck", "--silent" })
        {
            info.ArgumentList.Add(arg);
        }
        if (_location is null)
        {
            info.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            info.ArgumentList.Add("--location");
            info.ArgumentList.Add(_location);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                break;
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        string output;
        lock (_output)
        {
            output = _output.ToString();
        }
        await StopAsync();
        throw new InvalidOperationException($"Azurite did not start on port {Port} within 60 s. Its output:\n{output}");
    }

    /// <summary>Stops Azurite the way an operator would (SIGINT, which Azurite handles by saving its data and closing), killing it only if it hangs.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            using (var term = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_location is not null)
        {
            try
            {
                Directory.Delete(_location, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
