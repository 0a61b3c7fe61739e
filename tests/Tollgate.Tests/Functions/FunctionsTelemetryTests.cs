using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tollgate.Diagnostics;
using Tollgate.Functions;

namespace Tollgate.Tests.Functions;

/// <summary>
/// What the Functions app registers for telemetry (the Functions host cannot run here): OpenTelemetry with Tollgate's
/// sources and meter, the Azure Monitor exporter with the app's managed identity, and host.json in OpenTelemetry mode.
/// </summary>
public sealed class FunctionsTelemetryTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddTollgateFunctionsTelemetry(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void WithAConnectionString_TracesMetricsAndLogsGoToAzureMonitor_AsTheAppsIdentity()
    {
        using var provider = Build(new()
        {
            [FunctionsTelemetry.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
            [FunctionsTelemetry.ClientIdSetting] = "11111111-2222-3333-4444-555555555555",
        });
        Assert.NotNull(provider.GetService<TracerProvider>());
        Assert.NotNull(provider.GetService<MeterProvider>());
        Assert.Contains(provider.GetServices<ILoggerProvider>(), p => p.GetType().Name == "OpenTelemetryLoggerProvider");
        // Tollgate's spans are listened to once the tracer provider is built.
        Assert.True(TollgateMetrics.ActivitySource.HasListeners());

        var exporter = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
        Assert.StartsWith("InstrumentationKey=00000000-0000-0000-0000-000000000001", exporter.ConnectionString, StringComparison.Ordinal);
        Assert.IsType<ManagedIdentityCredential>(exporter.Credential);
    }

    [Fact]
    public void WithoutAConnectionString_NoExporterIsConfigured()
    {
        using var provider = Build([]);
        var exporter = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
        Assert.Null(exporter.ConnectionString);
        Assert.Null(exporter.Credential);
    }

    [Fact]
    public void HostJson_IsInOpenTelemetryMode_AndTheClassicSdkIsGone()
    {
        var hostJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Harness.RepoPaths.Root, "host.json")));
        Assert.Equal("OpenTelemetry", hostJson.RootElement.GetProperty("telemetryMode").GetString());
        var project = File.ReadAllText(Path.Combine(Harness.RepoPaths.Root, "src", "Tollgate.Functions", "Tollgate.Functions.csproj"));
        Assert.DoesNotContain("ApplicationInsights", project, StringComparison.Ordinal);
        Assert.Contains("Microsoft.Azure.Functions.Worker.OpenTelemetry", project, StringComparison.Ordinal);
    }
}
