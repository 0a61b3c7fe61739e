using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Tollgate.Json;

namespace Tollgate.Diagnostics;

/// <summary>
/// A console logger for a server that logs a line per request. The built-in console logger wakes its writer
/// thread and makes one write system call per line; on a small box that costs more CPU than proxying the
/// request. Here a line is formatted on the caller's thread and queued without waking anyone; the first line
/// of a batch arms a timer, and when it fires every queued line goes out in one write. Warnings and errors
/// are written at once. Lines are single-line (CR/LF escaped, so a value cannot forge an entry). The queue is
/// bounded: past <see cref="BatchingConsoleOptions.MaxQueuedLines"/> lines are dropped and counted, and the
/// count is written with the next batch.
/// </summary>
[ProviderAlias("Console")]
public sealed class BatchingConsoleLoggerProvider : ILoggerProvider
{
    private readonly Stream _output;
    private readonly BatchingConsoleOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, BatchingConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ITimer _timer;
    private readonly Lock _writeLock = new();
    private int _queued;
    private int _armed;
    private long _dropped;
    private bool _disposed;

    public BatchingConsoleLoggerProvider(Stream output, BatchingConsoleOptions? options = null, TimeProvider? time = null)
    {
        _output = output;
        _options = options ?? new BatchingConsoleOptions();
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(static state => ((BatchingConsoleLoggerProvider)state!).Flush(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Lines dropped because the queue was full, since the provider was created.</summary>
    public long DroppedLines => Interlocked.Read(ref _dropped);

    public ILogger CreateLogger(string categoryName) =>
        _loggers.GetOrAdd(categoryName, static (name, provider) => new BatchingConsoleLogger(provider, name), this);

    internal DateTimeOffset Now => _time.GetUtcNow();

    internal void Enqueue(string line, bool urgent)
    {
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedLines)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _lines.Enqueue(line);
        if (urgent)
        {
            Interlocked.Exchange(ref _armed, 1);
            _timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        else if (Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer.Change(_options.FlushInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Writes every queued line now, in one write.</summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            // Disarm before draining: a line queued from here on arms the timer again, so none is stranded.
            Volatile.Write(ref _armed, 0);
            if (_lines.IsEmpty && Interlocked.Read(ref _dropped) == 0)
            {
                return;
            }
            using var batch = new PooledBufferWriter(16 * 1024);
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                Write(batch, string.Create(CultureInfo.InvariantCulture, $"{Now:HH:mm:ss.fff}Z warn: Tollgate.Logging[1] {dropped} log lines dropped: the console could not keep up\n"));
            }
            while (_lines.TryDequeue(out var line))
            {
                Interlocked.Decrement(ref _queued);
                Write(batch, line);
            }
            if (batch.WrittenCount == 0 || _disposed)
            {
                return;
            }
            try
            {
                _output.Write(batch.WrittenSpan);
                _output.Flush();
            }
            catch (IOException)
            {
                // The console went away (closed pipe); there is nowhere left to report it.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static void Write(PooledBufferWriter batch, string line)
    {
        var span = batch.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length));
        batch.Advance(Encoding.UTF8.GetBytes(line, span));
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
        lock (_writeLock)
        {
            _disposed = true;
        }
    }
}

/// <summary>Options of <see cref="BatchingConsoleLoggerProvider"/>.</summary>
public sealed class BatchingConsoleOptions
{
    /// <summary>How long the first line of a batch may wait before the batch is written (default 50 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Lines held at most while waiting to be written; beyond it lines are dropped and counted (default 20,000).</summary>
    public int MaxQueuedLines { get; set; } = 20_000;
}

internal sealed class BatchingConsoleLogger(BatchingConsoleLoggerProvider provider, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var message = formatter(state, exception);
        var builder = new StringBuilder(message.Length + category.Length + 48);
        builder.Append(CultureInfo.InvariantCulture, $"{provider.Now:HH:mm:ss.fff}Z {LevelName(logLevel)}: {category}[{eventId.Id}] ");
        AppendEscaped(builder, message);
        if (exception is not null)
        {
            builder.Append(' ');
            AppendEscaped(builder, exception.ToString());
        }
        builder.Append('\n');
        provider.Enqueue(builder.ToString(), urgent: logLevel >= LogLevel.Warning);
    }

    private static void AppendEscaped(StringBuilder builder, string text)
    {
        var rest = text.AsSpan();
        int index;
        while ((index = rest.IndexOfAny('\r', '\n')) >= 0)
        {
            builder.Append(rest[..index]).Append(rest[index] == '\r' ? "\\r" : "\\n");
            rest = rest[(index + 1)..];
        }
        builder.Append(rest);
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
