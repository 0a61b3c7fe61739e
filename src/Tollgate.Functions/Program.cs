using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Tollgate.Functions;
using Tollgate.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// OpenTelemetry to Application Insights (Azure Monitor exporter, the app's managed identity): FunctionsTelemetry.
builder.Services.AddTollgateFunctionsTelemetry(builder.Configuration);
builder.Services.AddTollgate(builder.Configuration);
// The worker's Kestrel reads at least what the Functions host forwards (100 MiB): a body Tollgate refuses is drained
// after the 413, so the host's proxy, still uploading it, can read the answer instead of giving its client an empty 500.
builder.Services.AddTollgateKestrelLimits();
builder.Build().Run();
