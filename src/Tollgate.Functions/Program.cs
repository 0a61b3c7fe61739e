using Azure.Identity;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The worker sends its own telemetry to Application Insights: logs written outside an invocation (start-up, the
// usage ledger, budget flushes) never reach the host, so relaying through it would lose them.
// No adaptive sampling: every request line (status, tokens) and warning reaches Application Insights.
builder.Services
    .AddApplicationInsightsTelemetryWorkerService(options => options.EnableAdaptiveSampling = false)
    .ConfigureFunctionsApplicationInsights();
if (Environment.GetEnvironmentVariable("AZURE_CLIENT_ID") is { Length: > 0 } clientId)
{
    // Application Insights has local (key) authentication off: the worker signs in as the app's identity.
    builder.Services.Configure<TelemetryConfiguration>(telemetry =>
        telemetry.SetAzureTokenCredential(new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))));
}
// The Application Insights provider adds a rule that keeps only warnings; Logging:LogLevel (appsettings.json) decides instead.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var rule = options.Rules.FirstOrDefault(r =>
        r.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (rule is not null)
    {
        options.Rules.Remove(rule);
    }
});

builder.Services.AddTollgate(builder.Configuration);
// The worker's Kestrel reads at least what the Functions host forwards (100 MiB): a body Tollgate refuses is drained
// after the 413, so the host's proxy, still uploading it, can read the answer instead of giving its client an empty 500.
builder.Services.AddTollgateKestrelLimits();
builder.Build().Run();
