using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using Tollgate.Json;

namespace Tollgate.Diagnostics;

/// <summary>
/// A console logger for a server that logs a line per request. The built-in console logger wakes its writer
/// thread and makes one write system call per line; on a small box that costs more CPU than proxying the
/// request. Here the caller's thread only formats the message and queues it with its time, level and category,
/// without waking anyone; the first line of a batch arms a timer, and when it fires every queued line is written
/// as UTF-8 straight into one buffer (no per-line string is built) and goes out in one write. Warnings and errors
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
    private readonly ConcurrentQueue<LogLine> _lines = new();
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

    internal void Enqueue(in LogLine line, bool urgent)
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
                Write(batch, new LogLine(Now, LogLevel.Warning, "Tollgate.Logging", 1,
                    string.Create(CultureInfo.InvariantCulture, $"{dropped} log lines dropped: the console could not keep up"), null));
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

    /// <summary>Appends one line: <c>HH:mm:ss.fffZ level: category[event] message exception</c>, CR and LF escaped, then LF.</summary>
    private static void Write(PooledBufferWriter batch, in LogLine line)
    {
        var prefix = batch.GetSpan(64 + Encoding.UTF8.GetMaxByteCount(line.Category.Length));
        Utf8.TryWrite(prefix, CultureInfo.InvariantCulture, $"{line.At:HH:mm:ss.fff}Z {LevelName(line.Level)}: {line.Category}[{line.EventId}] ", out var written);
        batch.Advance(written);
        WriteEscaped(batch, line.Message);
        if (line.Exception is { } exception)
        {
            batch.Write(" "u8);
            WriteEscaped(batch, exception);
        }
        batch.Write("\n"u8);
    }

    private static void WriteEscaped(PooledBufferWriter batch, string text)
    {
        var rest = text.AsSpan();
        while (true)
        {
            var index = rest.IndexOfAny('\r', '\n');
            var piece = index < 0 ? rest : rest[..index];
            var span = batch.GetSpan(Encoding.UTF8.GetMaxByteCount(piece.Length));
            batch.Advance(Encoding.UTF8.GetBytes(piece, span));
            if (index < 0)
            {
                return;
            }
            batch.Write(rest[index] == '\r' ? "\\r"u8 : "\\n"u8);
            rest = rest[(index + 1)..];
        }
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
        provider.Enqueue(new LogLine(provider.Now, logLevel, category, eventId.Id, formatter(state, exception), exception?.ToString()),
            urgent: logLevel >= LogLevel.Warning);
    }
}

/// <summary>One queued log line, formatted only when its batch is written.</summary>
internal readonly record struct LogLine(DateTimeOffset At, LogLevel Level, string Category, int EventId, string Message, string? Exception);
