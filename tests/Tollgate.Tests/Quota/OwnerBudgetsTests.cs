using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Quota;

/// <summary>Owner budgets read from Azurite, when storage is out as the instance starts and then comes back.</summary>
public sealed class OwnerBudgetsTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnInstanceThatStartedWhileStorageWasOut_LoadsStoredBudgetsSoonAfterItReturns()
    {
        var prefix = azurite.UniquePrefix();
        await new OwnerBudgetStore(azurite.CreateStorage(prefix)).SaveAsync("team", new Budget { Amount = 3m }, Ct);
        using var handler = new StorageHandler { Fail = true };
        var budgets = new OwnerBudgets(Options.Create(new QuotaOptions()), TimeProvider.System, NullLogger<OwnerBudgets>.Instance,
            new OwnerBudgetStore(azurite.CreateStorage(prefix, handler)));

        await budgets.StartAsync(Ct);
        Assert.False(budgets.Loaded);

        // Storage is back: within a couple of seconds (not the 30 s refresh interval) asking has loaded them.
        handler.Fail = false;
        var loaded = false;
        for (var i = 0; i < 50 && !loaded; i++)
        {
            await Task.Delay(100, Ct);
            loaded = budgets.Loaded;
        }
        Assert.True(loaded);
        Assert.Equal(3m, budgets.For("team")!.Amount);
    }
}
