using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>
/// The durable usage ledger: records are queued in memory, grouped by partition and written as entity
/// group transactions (at most 100 per batch) within about a second, off the response path. Writes are
/// idempotent by request id: a batch that fails because a row already exists (an earlier attempt landed)
/// drops that row and resubmits the rest. While storage fails, records wait and are retried with backoff;
/// the wait is bounded by <see cref="UsageLedgerOptions.BufferCapacity"/>, past which requests are
/// refused. On graceful shutdown the queue is drained.
/// </summary>
public sealed partial class TableUsageLedger : IUsageSink, IHostedService, IAsyncDisposable
{
    private const int MaxBatch = 100;
    private const int MaxRecordsPerFlush = 5_000;
    private const int ConcurrentBatches = 8;

    private readonly ITableStore _store;
    private readonly string _table;
    private readonly UsageLedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TableUsageLedger> _logger;
    private readonly Channel<UsageRecord> _queue = Channel.CreateUnbounded<UsageRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private int _outstanding;
    private int _queued;
    private volatile bool _stopping;
    private TaskCompletionSource _flushNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _tableReady;
    private int _disposed;
    private Task? _writer;

    public TableUsageLedger(ITableStore store, IOptions<StorageOptions> storage, IOptions<UsageLedgerOptions> options, TimeProvider time, ILogger<TableUsageLedger> logger)
    {
        _store = store;
        _table = storage.Value.TablePrefix + "usage";
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public string TableName => _table;

    /// <summary>Records reserved or queued and not yet durable.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    public bool TryReserve()
    {
        while (true)
        {
            var current = Volatile.Read(ref _outstanding);
            if (current >= _options.BufferCapacity)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _outstanding, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Record(UsageRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Decrement(ref _outstanding);
            LogRecordLost(_logger, record.RequestId, record.KeyId, record.PromptTokens, record.CompletionTokens);
        }
        else if (Interlocked.Increment(ref _queued) == MaxRecordsPerFlush)
        {
            Volatile.Read(ref _flushNow).TrySetResult();
        }
    }

    /// <summary>Starts the writer. Storage need not be up: the table is created with the first write, retried like any write.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking records and writes everything queued, until the host's shutdown deadline.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        Volatile.Read(ref _flushNow).TrySetResult();
        if (_writer is null)
        {
            return;
        }
        using var registration = cancellationToken.Register(() => _abandon.Cancel());
        await _writer.ConfigureAwait(false);
        var left = Volatile.Read(ref _outstanding);
        if (left > 0)
        {
            LogNotDrained(_logger, left);
        }
    }

    /// <summary>Idempotent: the container may dispose the one instance once per service it is registered as.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _queue.Writer.TryComplete();
        _abandon.Cancel();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }
        _abandon.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var pending = new List<UsageRecord>();
        try
        {
            while (await reader.WaitToReadAsync(_abandon.Token).ConfigureAwait(false))
            {
                // The first record of a batch starts the clock. The writer then sleeps until the flush interval
                // is up, plenty of records are waiting, or the host stops, instead of waking for every record
                // (a thread wake-up per request costs more than the rest of metering), and takes all there is.
                var flushNow = Volatile.Read(ref _flushNow);
                if (!_stopping && Volatile.Read(ref _queued) < MaxRecordsPerFlush)
                {
                    await Task.WhenAny(Task.Delay(_options.FlushInterval, _time, _abandon.Token), flushNow.Task).ConfigureAwait(false);
                }
                Volatile.Write(ref _flushNow, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                Interlocked.Exchange(ref _queued, 0);
                while (reader.TryRead(out var record))
                {
                    pending.Add(record);
                    if (pending.Count >= MaxRecordsPerFlush)
                    {
                        await WriteAsync(pending).ConfigureAwait(false);
                        pending.Clear();
                    }
                }
                if (pending.Count > 0)
                {
                    await WriteAsync(pending).ConfigureAwait(false);
                    pending.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Shutdown deadline passed with storage still failing; StopAsync reports what was not written.
        }
    }

    /// <summary>
    /// Writes records grouped by partition, several batches at a time (partitions are independent in Table
    /// Storage), each retried until it lands.
    /// </summary>
    private async Task WriteAsync(List<UsageRecord> records)
    {
        var batches = records
            .GroupBy(r => UsageEntity.PartitionKey(r, _options.PartitionShards))
            .SelectMany(partition => partition.Chunk(MaxBatch))
            .Select(chunk => chunk.ToList())
            .ToList();
        if (batches.Count == 1)
        {
            await WriteBatchAsync(batches[0]).ConfigureAwait(false);
            return;
        }
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentBatches },
            async (batch, _) => await WriteBatchAsync(batch).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task WriteBatchAsync(List<UsageRecord> batch)
    {
        var attempt = 0;
        while (batch.Count > 0)
        {
            try
            {
                if (!_tableReady)
                {
                    await _store.CreateTableIfNotExistsAsync(_table, _abandon.Token).ConfigureAwait(false);
                    _tableReady = true;
                }
                var actions = batch.Select(r => new TableAction(TableActionType.Insert, UsageEntity.ToEntity(r, _options.PartitionShards))).ToList();
                await _store.SubmitTransactionAsync(_table, actions, _abandon.Token).ConfigureAwait(false);
                Settle(batch.Count);
                return;
            }
            catch (TableStorageException e) when (e.FailedIndex is { } index && index < batch.Count && (e.IsAlreadyExists || e.Status == 400))
            {
                // The row exists (an earlier attempt landed) or storage refuses this one entity: set it aside, resubmit the rest.
                var record = batch[index];
                batch.RemoveAt(index);
                Settle(1);
                if (e.IsAlreadyExists)
                {
                    LogAlreadyStored(_logger, record.RequestId);
                }
                else
                {
                    LogRecordRejected(_logger, record.RequestId, record.KeyId, record.PromptTokens, record.CompletionTokens, e.Status, e.ErrorCode ?? "");
                }
            }
            catch (Exception e) when (!_abandon.IsCancellationRequested)
            {
                if (e is TableStorageException { Status: 404 })
                {
                    _tableReady = false; // the table is gone (deleted, or a fresh emulator): create it again
                }
                attempt++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 10))));
                var status = e is TableStorageException tse ? tse.Status : 0;
                LogWriteFailed(_logger, batch.Count, status, attempt, delay.TotalSeconds);
                await Task.Delay(delay, _time, _abandon.Token).ConfigureAwait(false);
            }
        }
    }

    private void Settle(int count) => Interlocked.Add(ref _outstanding, -count);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Usage ledger: writing {Count} records failed (status {Status}), attempt {Attempt}; retrying in {DelaySeconds:0.0} s")]
    private static partial void LogWriteFailed(ILogger logger, int count, int status, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Usage ledger: record {RequestId} was already stored (an earlier attempt landed)")]
    private static partial void LogAlreadyStored(ILogger logger, string requestId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Usage ledger: storage rejected record {RequestId} (key {KeyId}, prompt {PromptTokens}, completion {CompletionTokens}) with {Status} {ErrorCode}")]
    private static partial void LogRecordRejected(ILogger logger, string requestId, string keyId, long promptTokens, long completionTokens, int status, string errorCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Usage ledger: record {RequestId} (key {KeyId}, prompt {PromptTokens}, completion {CompletionTokens}) arrived after shutdown and was not stored")]
    private static partial void LogRecordLost(ILogger logger, string requestId, string keyId, long promptTokens, long completionTokens);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Usage ledger: shutdown deadline reached with {Count} records not stored")]
    private static partial void LogNotDrained(ILogger logger, int count);
}
