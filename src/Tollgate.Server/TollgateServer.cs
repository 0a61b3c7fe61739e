using OpenTelemetry;
using Tollgate.Diagnostics;
using Tollgate.Hosting;

namespace Tollgate.Server;

/// <summary>
/// The standalone host: Kestrel plus the same Core handlers the Functions app calls. Used for local runs,
/// containers, the tests and the benchmark.
/// </summary>
public static class TollgateServer
{
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The standard variable that turns on export over OTLP.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Unless the environment already decides it, has socket completions run on the socket event threads and
    /// Kestrel run request code inline on them: a proxied request then costs two thread wake-ups fewer, which
    /// on a small box is most of its CPU at low concurrency (docs/performance.md). Must run before the process
    /// opens its first socket. Opt out with <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c>.
    /// </summary>
    public static void UseInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <param name="args">Command-line arguments (configuration overrides such as <c>--urls</c>).</param>
    /// <param name="configure">Lets tests add configuration or replace services before the app is built.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings live beside the program: started from any directory (a service unit, `dotnet /opt/tollgate/Tollgate.Server.dll`)
        // it still reads its own appsettings.json.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1")
        {
            // Request code continues on the thread that completed the socket read instead of being queued to
            // the thread pool again. Tollgate's handlers never block, which is what makes this safe.
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }
        // One line per request: the batching console logger writes them in batches, not one system call each.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerProvider>(_ => new BatchingConsoleLoggerProvider(Console.OpenStandardOutput()));
        configure?.Invoke(builder);
        builder.Services.AddTollgate(builder.Configuration);
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            // OpenTelemetry only when an OTLP endpoint is set (the standard OTEL_EXPORTER_OTLP_* variables, or the same
            // names in configuration): traces, metrics and logs to it. Without one nothing is collected.
            builder.Services.AddOpenTelemetry().AddTollgateInstrumentation().UseOtlpExporter();
        }
        // Kestrel's 30 MB default would refuse (and reset) a refused body Tollgate drains to answer it cleanly.
        builder.Services.AddTollgateKestrelLimits();
        // The Functions app rolls usage up from its timer trigger; here a hosted service does (with storage only).
        builder.Services.AddTollgateAggregationService(builder.Configuration);

        var app = builder.Build();
        app.MapTollgate();
        return app;
    }
}
