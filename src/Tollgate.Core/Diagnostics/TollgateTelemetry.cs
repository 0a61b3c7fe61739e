using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tollgate.Diagnostics;

/// <summary>
/// What both hosts send through OpenTelemetry, whatever the exporter: Tollgate's own spans and meter (with the GenAI
/// conventions, <see cref="GenAiConventions"/>), ASP.NET Core's server spans and metrics, the upstream call as an
/// HttpClient span (W3C trace context forwarded in <c>traceparent</c>), and logs. The host adds its exporter: OTLP
/// for the standalone host, Azure Monitor for the Functions app.
/// </summary>
public static class TollgateTelemetry
{
    /// <summary>The service name when <c>OTEL_SERVICE_NAME</c> does not set one.</summary>
    public const string ServiceName = "tollgate";

    public static IOpenTelemetryBuilder AddTollgateInstrumentation(this IOpenTelemetryBuilder builder)
    {
        // service.name: OTEL_SERVICE_NAME (environment or configuration) when set, else "tollgate".
        builder.ConfigureResource(resource => resource.AddDetector(services => new ServiceDetector(services.GetService<IConfiguration>())));
        builder.WithTracing(tracing => tracing
            .AddSource(TollgateMetrics.MeterName)
            // Query strings are redacted by both instrumentations by default; no header or body is ever recorded.
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation());
        builder.WithMetrics(metrics => metrics
            .AddMeter(TollgateMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation());
        // Log records carry their template's values (OpenTelemetry's default leaves out the formatted message); Tollgate
        // logs no prompt, completion or key in either.
        builder.WithLogging();
        return builder;
    }

    private sealed class ServiceDetector(IConfiguration? configuration) : IResourceDetector
    {
        public Resource Detect() => new(new Dictionary<string, object>
        {
            ["service.name"] = configuration?["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : ServiceName,
            ["service.version"] = typeof(TollgateTelemetry).Assembly.GetName().Version?.ToString() ?? "0",
        });
    }
}
