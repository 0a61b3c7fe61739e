using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Routing;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Hosting;

/// <summary>One start-up line saying what this instance serves and where its usage goes (no secrets).</summary>
internal sealed partial class StartupReport(ModelRouter router, IUsageSink usage, IOptions<StorageOptions> storage, ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var upstreams = router.Deployments.Select(d => d.Upstream.Name).Distinct().Count();
        LogStarted(logger, router.Routes.Count, upstreams, storage.Value.IsConfigured ? "table storage" : "memory only");
        if (usage is InMemoryUsageSink)
        {
            LogNotDurable(logger);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Tollgate serving {Models} models from {Upstreams} upstreams; keys and usage: {Storage}")]
    private static partial void LogStarted(ILogger logger, int models, int upstreams, string storage);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Tollgate:Storage is not configured: usage records are kept in memory only and are lost on restart. Configure Tollgate:Storage for metering.")]
    private static partial void LogNotDurable(ILogger logger);
}
