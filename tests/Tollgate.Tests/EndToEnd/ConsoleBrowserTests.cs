using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tollgate.Hosting;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// The admin console (<c>/console/</c>) in a real browser: Debian's chromium driven by puppeteer-core
/// (tests/console-browser/console.mjs) against the standalone host with Azurite and the mock upstream. The run's
/// screenshots are written to docs/ (the README shows them).
/// </summary>
public sealed class ConsoleBrowserTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The browser: CHROMIUM, else Debian's chromium (tests/run-tests.sh installs it).</summary>
    private static string Chromium() =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
        ?? throw new Xunit.Sdk.XunitException("No chromium: install Debian's chromium (tests/run-tests.sh does, as root) or set CHROMIUM.");

    [Fact]
    public async Task TheConsole_IsServedWithItsSecurityHeaders_AndNothingElse()
    {
        await using var host = await GatewayHost.StartAsync();
        foreach (var path in new[] { "console/", "console/index.html", "console/console.js", "console/console.css", "console/chart.umd.min.js" })
        {
            using var response = await host.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(ConsoleHandler.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        }
        var page = await host.Http.GetStringAsync("console/", Ct);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal); // no inline script: every script has a src
        Assert.DoesNotContain("style=", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http", page.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal); // no third-party origin
        using var missing = await host.Http.GetAsync("console/../appsettings.json", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var unknown = await host.Http.GetAsync("console/nope.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        JsonAssert.AssertError(await unknown.Content.ReadAsStringAsync(Ct), "not_found");
    }

    [Fact]
    public async Task InARealBrowser_SignIn_CreateAKey_SeeItsTraffic_RevokeIt_AndTheGatewayRefusesIt()
    {
        var chromium = Chromium();
        await using var host = await GatewayHost.StartAsync(storageConnectionString: azurite.ConnectionString, tablePrefix: azurite.UniquePrefix());
        var script = Path.Combine(RepoPaths.Root, "tests", "console-browser", "console.mjs");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.Environment["BASE_URL"] = host.BaseUri.ToString();
        info.Environment["ADMIN_KEY"] = GatewayHost.AdminKey;
        info.Environment["CHROMIUM"] = chromium;
        info.Environment["SCREENSHOTS"] = Path.Combine(RepoPaths.Root, "docs");
        using var node = Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync(Ct);
        var errors = node.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(node.ExitCode == 0, $"console.mjs exited {node.ExitCode}: {string.Join('\n', lines)}\n{await errors}");
        var result = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(3, result.GetProperty("keyRequests").GetInt32());
        Assert.Equal(401, result.GetProperty("revokedStatus").GetInt32());
        Assert.Equal(11, result.GetProperty("steps").GetArrayLength());
    }
}
