using System.Collections.Concurrent;

namespace Tollgate.Usage;

/// <summary>
/// Keeps the most recent records in memory (a bounded window). The default sink until a durable ledger is
/// registered; also what tests read to check metering.
/// </summary>
public sealed class InMemoryUsageSink : IUsageSink
{
    public const int Capacity = 10_000;

    private readonly ConcurrentQueue<UsageRecord> _records = new();

    public bool TryReserve() => true;

    public void Record(UsageRecord record)
    {
        _records.Enqueue(record);
        while (_records.Count > Capacity && _records.TryDequeue(out _))
        {
        }
    }

    public IReadOnlyList<UsageRecord> Snapshot() => _records.ToArray();
}
