using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tollgate.Hosting;
using Tollgate.Jobs;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Jobs;

/// <summary>The timer's job as <c>AddTollgate</c> composes it: leases released, then usage rolled up where there is storage to hold it.</summary>
public sealed class ScheduledJobTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IConfiguration Configuration(Dictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    [Fact]
    public async Task WithoutStorage_TheJobReleasesLeases_AndRollsNothingUp()
    {
        await using var services = new ServiceCollection().AddLogging().AddTollgate(Configuration([])).BuildServiceProvider();

        var run = await services.GetRequiredService<ScheduledJob>().RunAsync(Ct);

        Assert.Null(run.Aggregation);
        Assert.Equal(0, run.LeasesReleased);
    }

    [Fact]
    public async Task WithStorage_TheJobRollsUsageUp()
    {
        var configuration = Configuration(new()
        {
            ["Tollgate:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Tollgate:Storage:TablePrefix"] = azurite.UniquePrefix(),
        });
        await using var services = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();

        var run = await services.GetRequiredService<ScheduledJob>().RunAsync(Ct);

        Assert.NotNull(run.Aggregation);
        Assert.Equal(0, run.Aggregation.PagesRead);
        Assert.Equal(0, run.LeasesReleased);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheStandaloneHostsTimer_IsAddedOnlyWithStorage(bool storage)
    {
        var configuration = Configuration(storage ? new() { ["Tollgate:Storage:ConnectionString"] = "UseDevelopmentStorage=true" } : []);

        var services = new ServiceCollection().AddTollgateAggregationService(configuration);

        Assert.Equal(storage ? 1 : 0, services.Count(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ScheduledJobService)));
    }
}
