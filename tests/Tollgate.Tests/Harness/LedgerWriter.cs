using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Tests.Harness;

/// <summary>Stores records the way the gateway does: through a ledger of its own (its own writer id), drained on stop.</summary>
public static class LedgerWriter
{
    public static async Task WriteAsync(TableStorage storage, IEnumerable<UsageRecord> records)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ledger = new TableUsageLedger(storage,
            Options.Create(new UsageLedgerOptions { FlushInterval = TimeSpan.FromMilliseconds(50) }), TimeProvider.System, NullLogger<TableUsageLedger>.Instance);
        await ledger.StartAsync(ct);
        foreach (var record in records)
        {
            Assert.True(ledger.TryReserve());
            ledger.Record(record);
        }
        await ledger.StopAsync(ct);
    }
}
