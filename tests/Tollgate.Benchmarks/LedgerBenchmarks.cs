using Azure.Core.Pipeline;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Benchmarks;

/// <summary>
/// The usage ledger alone: records in (reserve + hand over, as the request path does), pages out through the
/// Table SDK to an in-process stand-in for the Table service, until every record is durable. Reported per record.
/// </summary>
public class LedgerBenchmarks
{
    private const int Records = 20_000;

    private UsageRecord[] _records = null!;
    private TableStorage _storage = null!;
    private TableServiceStandIn _service = null!;
    private long _written;

    [GlobalSetup]
    public void Setup()
    {
        var start = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        // What the gateway hands over: a few busy keys, realistic ids, models and figures.
        _records = Enumerable.Range(0, Records).Select(i => new UsageRecord
        {
            RequestId = $"req_{Random.Shared.NextInt64():x16}{i:x8}",
            KeyId = "key" + (i % 4),
            Owner = "team-" + (i % 4),
            RequestedModel = i % 3 == 0 ? "gpt-4o-mini" : "gpt-4.1",
            UpstreamModel = i % 3 == 0 ? "gpt-4o-mini-2024-07-18" : "gpt-4.1-2025-04-14",
            Upstream = "openai",
            Stream = i % 2 == 0,
            PromptTokens = 200 + i % 1000,
            CompletionTokens = 50 + i % 300,
            CachedTokens = i % 64,
            Source = UsageSource.Reported,
            Status = 200,
            FinishReason = "stop",
            TimeToFirstTokenMs = i % 2 == 0 ? 180.5 : null,
            DurationMs = 900.25,
            StartedAt = start.AddMilliseconds(i),
            CompletedAt = start.AddMilliseconds(i + 900),
        }).ToArray();
        _service = new TableServiceStandIn();
        var options = TableStorage.CreateClientOptions();
        options.Transport = new HttpClientTransport(_service);
        var service = TableStorage.CreateServiceClient(new StorageOptions
        {
            ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1",
        }, options);
        _storage = new TableStorage(service, "bench");
    }

    [GlobalCleanup]
    public void Report() =>
        Console.WriteLine($"// stand-in Table service, per 1,000 records: {1000.0 * _service.Transactions / _written:F2} transactions, " +
                          $"{1000.0 * _service.Entities / _written:F2} entities, {(double)_service.RequestBytes / _written:F0} request bytes per record");

    [Benchmark(Description = "usage ledger, per record (20,000 records, 4 keys, into pages)", OperationsPerInvoke = Records)]
    public async Task LedgerPerRecord()
    {
        await using var ledger = new TableUsageLedger(_storage, Options.Create(new UsageLedgerOptions()), TimeProvider.System, NullLogger<TableUsageLedger>.Instance);
        await ledger.StartAsync(CancellationToken.None);
        foreach (var record in _records)
        {
            if (!ledger.TryReserve())
            {
                throw new InvalidOperationException("The ledger refused a record.");
            }
            ledger.Record(record);
        }
        await ledger.StopAsync(CancellationToken.None);
        if (ledger.Outstanding != 0)
        {
            throw new InvalidOperationException("The ledger did not write every record.");
        }
        _written += Records;
    }
}
