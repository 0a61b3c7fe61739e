using Tollgate.Hosting;

namespace Tollgate.Server;

/// <summary>
/// The standalone host: Kestrel plus the same Core handlers the Functions app calls. Used for local runs,
/// containers, the tests and the benchmark.
/// </summary>
public static class TollgateServer
{
    /// <param name="args">Command-line arguments (configuration overrides such as <c>--urls</c>).</param>
    /// <param name="configure">Lets tests add configuration or replace services before the app is built.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        configure?.Invoke(builder);
        builder.Services.AddTollgate(builder.Configuration);

        var app = builder.Build();
        app.MapTollgate();
        return app;
    }
}
