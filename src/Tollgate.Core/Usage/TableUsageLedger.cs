using System.Security.Cryptography;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>
/// The durable usage ledger: records are queued in memory and, about once a second, packed into usage pages
/// (<see cref="UsagePage"/>: up to about a thousand records of one key and 5-minute bucket per entity) written
/// as entity group transactions, off the response path. A page's row key is fixed when it is formed and the
/// write is an upsert, so a retried write (an earlier attempt that landed unseen) replaces the same row and never
/// doubles a record. While storage fails, pages wait and are retried with backoff; the wait is bounded by
/// <see cref="UsageLedgerOptions.BufferCapacity"/> records, past which requests are refused. On graceful
/// shutdown everything queued is written.
/// </summary>
public sealed partial class TableUsageLedger : IUsageSink, IHostedService, IAsyncDisposable
{
    /// <summary>A page's records travel base64-encoded (80 KB for a full page): 32 full pages stay under the 4 MiB transaction limit.</summary>
    private const int MaxPagesPerTransaction = 32;
    private const int MaxRecordsPerFlush = 20_000;
    private const int ConcurrentBatches = 4;

    private readonly TableClient _table;
    private readonly UsageLedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TableUsageLedger> _logger;
    private readonly string _writerId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private readonly Channel<UsageRecord> _queue = Channel.CreateUnbounded<UsageRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private long _sequence;
    private int _outstanding;
    private int _queued;
    private volatile bool _stopping;
    private TaskCompletionSource _flushNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _tableReady;
    private int _disposed;
    private Task? _writer;
    private readonly FailureStreak _failures = new();

    public TableUsageLedger(TableStorage storage, IOptions<UsageLedgerOptions> options, TimeProvider time, ILogger<TableUsageLedger> logger)
    {
        _table = storage.Usage;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public string TableName => _table.Name;
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
                        await WriteUntilStoredAsync(pending).ConfigureAwait(false);
                    }
                }
                if (pending.Count > 0)
                {
                    await WriteUntilStoredAsync(pending).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Shutdown deadline passed with storage still failing; StopAsync reports what was not written.
        }
    }

    /// <summary>
    /// Writes <paramref name="records"/> and clears the list. Storage failures are retried inside; anything else that
    /// escapes (a fault of ours) must not end the writer, or every later record would wait forever: it is logged and
    /// the same records are tried again after a pause. Only the shutdown deadline ends it.
    /// </summary>
    private async Task WriteUntilStoredAsync(List<UsageRecord> records)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(records).ConfigureAwait(false);
                records.Clear();
                return;
            }
            catch (Exception e) when (!_abandon.IsCancellationRequested)
            {
                var delay = RetryDelay(attempt);
                Failed(records.Count, FailureStreak.Reason(e), attempt, delay);
                await Task.Delay(delay, _time, _abandon.Token).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 10))));

    /// <summary>Logs a failed write: the first of a streak at Warning, later ones at Debug.</summary>
    private void Failed(int count, string reason, int attempt, TimeSpan delay)
    {
        if (_failures.Fail())
        {
            LogWriteFailed(_logger, count, reason, attempt, delay.TotalSeconds);
        }
        else
        {
            LogWriteFailedAgain(_logger, count, reason, attempt, _failures.Count);
        }
    }

    /// <summary>
    /// Packs records into pages, groups the pages by partition into transactions and writes those, several at a
    /// time (partitions are independent in Table Storage), each retried until it lands.
    /// </summary>
    private async Task WriteAsync(List<UsageRecord> records)
    {
        var batches = Paginate(records)
            .GroupBy(page => page.Entity.PartitionKey)
            .SelectMany(partition => partition.Chunk(MaxPagesPerTransaction))
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

    private List<Page> Paginate(List<UsageRecord> records)
    {
        var formedAt = _time.GetUtcNow();
        var pages = new List<Page>();
        var open = new Dictionary<(long Bucket, string KeyId), (UsageRecordCodec.Writer Writer, UsageRecord First)>();
        foreach (var record in records)
        {
            var slot = (UsagePage.BucketStart(record.StartedAt), record.KeyId);
            if (!open.TryGetValue(slot, out var page))
            {
                page = (new UsageRecordCodec.Writer(4096), record);
                open.Add(slot, page);
            }
            if (!page.Writer.TryAdd(record, UsagePage.MaxRecordBytes))
            {
                pages.Add(Close(page.Writer, page.First, formedAt));
                page = (new UsageRecordCodec.Writer(UsagePage.MaxRecordBytes + 1024), record);
                page.Writer.TryAdd(record, UsagePage.MaxRecordBytes);
                open[slot] = page;
            }
        }
        foreach (var page in open.Values)
        {
            pages.Add(Close(page.Writer, page.First, formedAt));
        }
        return pages;
    }

    private Page Close(UsageRecordCodec.Writer writer, UsageRecord first, DateTimeOffset formedAt)
    {
        var partition = UsagePage.PartitionKey(UsagePage.Bucket(first.StartedAt), first.KeyId);
        var row = UsagePage.RowKey(formedAt, _writerId, Interlocked.Increment(ref _sequence));
        return new Page(UsagePage.ToEntity(partition, row, first.KeyId, writer.Count, writer.Written), writer.Count, first.RequestId);
    }

    private async Task WriteBatchAsync(List<Page> batch)
    {
        var attempt = 0;
        while (batch.Count > 0)
        {
            try
            {
                if (!_tableReady)
                {
                    await _table.CreateIfNotExistsAsync(_abandon.Token).ConfigureAwait(false);
                    _tableReady = true;
                }
                await _table.SubmitTransactionAsync(
                    batch.Select(page => new TableTransactionAction(TableTransactionActionType.UpsertReplace, page.Entity)), _abandon.Token).ConfigureAwait(false);
                Settle(batch.Sum(page => page.Count));
                if (_failures.Succeed() is > 0 and var failed)
                {
                    LogWriteRecovered(_logger, failed);
                }
                return;
            }
            catch (RequestFailedException e) when (e.Status is 400 or 413 && FailedIndex(e, batch.Count) is { } index)
            {
                // Storage refuses this one page (it never does for pages the ledger forms): set it aside, loudly, and resubmit the rest.
                var page = batch[index];
                batch.RemoveAt(index);
                Settle(page.Count);
                LogPageRejected(_logger, page.Count, page.FirstRequestId, page.Entity.PartitionKey, e.Status, e.ErrorCode ?? "");
            }
            catch (Exception e) when (!_abandon.IsCancellationRequested)
            {
                if (e is RequestFailedException { Status: 404 })
                {
                    _tableReady = false; // the table is gone (deleted, or a fresh emulator): create it again
                }
                attempt++;
                var delay = RetryDelay(attempt);
                Failed(batch.Sum(page => page.Count), FailureStreak.Reason(e), attempt, delay);
                await Task.Delay(delay, _time, _abandon.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The page a refused transaction names; a lone page when the transaction names none.</summary>
    private static int? FailedIndex(RequestFailedException e, int count) =>
        e is TableTransactionFailedException { FailedTransactionActionIndex: { } index } && index < count ? index
        : count == 1 ? 0
        : null;

    private void Settle(int count) => Interlocked.Add(ref _outstanding, -count);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning,
        Message = "Usage ledger: writing {Count} records failed ({Reason}), attempt {Attempt}; retrying in {DelaySeconds:0.0} s and backing off, logged once until a write succeeds")]
    private static partial void LogWriteFailed(ILogger logger, int count, string reason, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Usage ledger: writing {Count} records failed again ({Reason}), attempt {Attempt}, {Failures} failures in a row")]
    private static partial void LogWriteFailedAgain(ILogger logger, int count, string reason, int attempt, int failures);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Usage ledger: writing again after {Failures} failed attempts")]
    private static partial void LogWriteRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Usage ledger: storage refused a page of {Count} records (first {RequestId}, partition {PartitionKey}) with {Status} {ErrorCode}")]
    private static partial void LogPageRejected(ILogger logger, int count, string requestId, string partitionKey, int status, string errorCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Usage ledger: record {RequestId} (key {KeyId}, prompt {PromptTokens}, completion {CompletionTokens}) arrived after shutdown and was not stored")]
    private static partial void LogRecordLost(ILogger logger, string requestId, string keyId, long promptTokens, long completionTokens);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Usage ledger: shutdown deadline reached with {Count} records not stored")]
    private static partial void LogNotDrained(ILogger logger, int count);

    private sealed record Page(TableEntity Entity, int Count, string FirstRequestId);
}
