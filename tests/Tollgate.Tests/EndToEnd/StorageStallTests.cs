using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Storage;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// Storage that stalls or breaks under every background loop of the standalone host (ledger writer, aggregation,
/// budget flushes, price and owner-budget refreshers): the host keeps serving, each loop logs once per streak, and
/// everything picks up when storage is back.
/// </summary>
public sealed class StorageStallTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>In front of Azurite: passes requests on, or hangs them (until the SDK's timeout), or throws what no storage client expects.</summary>
    private sealed class BreakableStorage() : DelegatingHandler(new SocketsHttpHandler())
    {
        public volatile string Mode = "pass";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            switch (Mode)
            {
                case "stall":
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case "throw":
                    throw new InvalidOperationException("storage broke in a way nobody expected");
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private static TableStorage Storage(string connectionString, string prefix, HttpMessageHandler handler)
    {
        var options = TableStorage.CreateClientOptions();
        options.Transport = new Azure.Core.Pipeline.HttpClientTransport(handler);
        // A stall ends in the SDK's timeout (a TaskCanceledException); short here so the test sees several.
        options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(300);
        options.Retry.MaxRetries = 0;
        return new TableStorage(TableStorage.CreateServiceClient(new StorageOptions { ConnectionString = connectionString }, options), prefix);
    }

    private static HttpRequestMessage Chat()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } } })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        return request;
    }

    private static async Task WaitForAsync(GatewayHost host, Func<IReadOnlyList<CapturingLoggerProvider.LogLine>, bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(host.Logs.Lines); i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.True(condition(host.Logs.Lines), $"not seen within 30 s: {what}; logged: " + string.Join(", ", host.Logs.Lines.Where(l => l.EventId.Id >= 3000).GroupBy(l => l.EventId.Id).Select(g => $"{g.Key} x{g.Count()}")));
    }

    private static int Count(GatewayHost host, int eventId, LogLevel? level = null, int from = 0) =>
        host.Logs.Lines.Skip(from).Count(l => l.EventId.Id == eventId && (level is null || l.Level == level));

    [Theory]
    [InlineData("stall")]
    [InlineData("throw")]
    public async Task StorageStallingOrBreaking_UnderEveryLoop_TheHostKeepsServing_LogsOncePerStreak_AndRecovers(string mode)
    {
        var prefix = azurite.UniquePrefix();
        var storage = new BreakableStorage();
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Logging:LogLevel:Default"] = "Debug"; // the failures after the first of a streak are at Debug
            s["Tollgate:Billing:AggregationInterval"] = "00:00:00.200";
            s["Tollgate:Billing:PriceRefreshInterval"] = "00:00:00.200";
            s["Tollgate:Quota:BudgetRefreshInterval"] = "00:00:00.200";
            s["Tollgate:Quota:FlushInterval"] = "00:00:00.200";
            s["Tollgate:Keys:0:Budget:Amount"] = "1000";
            s["Tollgate:Keys:0:Budget:Mode"] = "soft";
        }, azurite.ConnectionString, prefix, services => services.AddSingleton(Storage(azurite.ConnectionString, prefix, storage)));
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        using (var first = await host.Http.SendAsync(Chat(), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        await WaitForAsync(host, l => l.Any(x => x.EventId.Id == 4100), "a first aggregation run");

        var switched = host.Logs.Lines.Count;
        storage.Mode = mode;
        // Spending to report keeps the budget flush going to storage; requests keep the refreshers and the ledger busy.
        for (var i = 0; i < 3; i++)
        {
            using var served = await host.Http.SendAsync(Chat(), Ct);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        await WaitForAsync(host, l => l.Count(x => x.EventId.Id == 4104) >= 2, "the aggregation failing run after run");
        await WaitForAsync(host, l => l.Any(x => x.EventId.Id == 5001) && l.Any(x => x.EventId.Id == 3000), "the budget flush and the ledger failing");

        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the host stopped itself");
        using (var health = await host.Http.GetAsync("healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var served = await host.Http.SendAsync(Chat(), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        // One warning per streak, however many ticks failed.
        Assert.Equal(1, Count(host, 4101, LogLevel.Warning, switched));
        Assert.Equal(1, Count(host, 5001, LogLevel.Warning, switched));
        Assert.Equal(1, Count(host, 3000, LogLevel.Warning, switched));
        Assert.Equal(1, Count(host, 5004, LogLevel.Warning, switched));
        Assert.True(Count(host, 4002, from: switched) <= 1 && Count(host, 5002, from: switched) <= 1);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Level >= LogLevel.Warning && l.Message.Contains("127.0.0.1", StringComparison.Ordinal));

        // Storage back: each loop says so once and the records of the outage are stored and rolled up.
        storage.Mode = "pass";
        await WaitForAsync(host, l => l.Any(x => x.EventId.Id == 4105) && l.Any(x => x.EventId.Id == 3006) && l.Any(x => x.EventId.Id == 5007), "the loops recovering");
        var usage = await new AdminClient(host.Http).WaitForUsageAsync("key-main", 5);
        Assert.Equal(5, usage.Count);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
    }
}
