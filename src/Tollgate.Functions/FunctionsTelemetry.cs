using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Diagnostics;

namespace Tollgate.Functions;

/// <summary>
/// The Functions app's telemetry: OpenTelemetry (host.json's <c>telemetryMode</c> is <c>OpenTelemetry</c>) with
/// Tollgate's instrumentation and the Functions worker's, exported to Application Insights by the Azure Monitor
/// exporter, signed in as the app's managed identity (Application Insights has local authentication off).
/// </summary>
public static class FunctionsTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    /// <summary>
    /// Registers OpenTelemetry; with <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> set, exports traces, metrics and logs
    /// to it (as the identity <c>AZURE_CLIENT_ID</c> names, when set). The worker sends its own telemetry: logs written
    /// outside an invocation (start-up, the usage ledger, budget flushes) never reach the host.
    /// </summary>
    public static IServiceCollection AddTollgateFunctionsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = services.AddOpenTelemetry().AddTollgateInstrumentation().UseFunctionsWorkerDefaults();
        if (configuration[ConnectionStringSetting] is { Length: > 0 } connectionString)
        {
            var clientId = configuration[ClientIdSetting];
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                if (clientId is { Length: > 0 })
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            });
        }
        return services;
    }
}
