using System.Text;
using Microsoft.Extensions.Logging;
using Tollgate.Diagnostics;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Diagnostics;

public sealed class BatchingConsoleLoggerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void InformationLines_WaitForTheFlushInterval_ThenGoOutInOneWrite()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        using var provider = new BatchingConsoleLoggerProvider(output, new BatchingConsoleOptions { FlushInterval = TimeSpan.FromMilliseconds(50) }, clock);
        var logger = provider.CreateLogger("Tollgate.Proxy.ChatCompletionsHandler");

        for (var i = 0; i < 3; i++)
        {
            logger.LogInformation(new EventId(1000, "RequestCompleted"), "Request {Id} done", i);
        }
        clock.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Empty(output.Writes);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var write = Assert.Single(output.Writes);
        Assert.Equal(
            "12:00:00.000Z info: Tollgate.Proxy.ChatCompletionsHandler[1000] Request 0 done\n" +
            "12:00:00.000Z info: Tollgate.Proxy.ChatCompletionsHandler[1000] Request 1 done\n" +
            "12:00:00.000Z info: Tollgate.Proxy.ChatCompletionsHandler[1000] Request 2 done\n",
            write);

        // The next line arms the timer again.
        logger.LogInformation("later");
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, output.Writes.Count);
        Assert.EndsWith("info: Tollgate.Proxy.ChatCompletionsHandler[0] later\n", output.Writes[1]);
    }

    [Fact]
    public void Warning_FlushesAtOnce_WithTheLinesQueuedBeforeIt()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        using var provider = new BatchingConsoleLoggerProvider(output, time: clock);
        var logger = provider.CreateLogger("Tollgate.Usage.TableUsageLedger");

        logger.LogInformation("first");
        Assert.Empty(output.Writes);
        logger.LogWarning("storage slow");

        var write = Assert.Single(output.Writes);
        Assert.Contains("info: Tollgate.Usage.TableUsageLedger[0] first\n", write);
        Assert.Contains("warn: Tollgate.Usage.TableUsageLedger[0] storage slow\n", write);
    }

    [Fact]
    public void LineBreaksInMessagesAndExceptions_AreEscaped_SoEveryEntryIsOneLine()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        using var provider = new BatchingConsoleLoggerProvider(output, time: clock);
        var logger = provider.CreateLogger("c");

        logger.LogError(new InvalidOperationException("bad\nthing"), "forged\r\n12:00:00.000Z info: c[0] fake");

        var write = Assert.Single(output.Writes);
        Assert.Single(write.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("12:00:00.000Z fail: c[0] forged\\r\\n12:00:00.000Z info: c[0] fake System.InvalidOperationException: bad\\nthing", write);
    }

    [Fact]
    public void Lines_AreStampedWhenLogged_AndWrittenAsUtf8()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        using var provider = new BatchingConsoleLoggerProvider(output, time: clock);
        var logger = provider.CreateLogger("Tollgate.Prüfung");

        logger.LogInformation("modèle {Model} ✓ {Text}", "gpt-4o", new string('é', 3000));
        clock.Advance(TimeSpan.FromSeconds(1));

        var write = Assert.Single(output.Writes);
        Assert.Equal($"12:00:00.000Z info: Tollgate.Prüfung[0] modèle gpt-4o ✓ {new string('é', 3000)}\n", write);
    }

    [Fact]
    public void FullQueue_DropsAndCountsLines_AndReportsTheCountWithTheNextBatch()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        using var provider = new BatchingConsoleLoggerProvider(output, new BatchingConsoleOptions { MaxQueuedLines = 3 }, clock);
        var logger = provider.CreateLogger("c");

        for (var i = 0; i < 5; i++)
        {
            logger.LogInformation("line {I}", i);
        }
        Assert.Equal(2, provider.DroppedLines);
        clock.Advance(TimeSpan.FromSeconds(1));

        var lines = Assert.Single(output.Writes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("2 log lines dropped", lines[0]);
        Assert.EndsWith("line 2", lines[3]);
        Assert.Equal(0, provider.DroppedLines);
    }

    [Fact]
    public void Dispose_WritesWhatIsQueued_AndLaterLinesAreNotWritten()
    {
        var clock = new ManualTimeProvider(Start);
        var output = new RecordingStream();
        var provider = new BatchingConsoleLoggerProvider(output, time: clock);
        var logger = provider.CreateLogger("c");
        logger.LogInformation("before shutdown");

        provider.Dispose();
        logger.LogInformation("after shutdown");
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.EndsWith("before shutdown\n", Assert.Single(output.Writes));
    }

    [Fact]
    public async Task ManyThreadsLogging_EveryLineIsWrittenExactlyOnce()
    {
        var output = new RecordingStream();
        var provider = new BatchingConsoleLoggerProvider(output, new BatchingConsoleOptions { FlushInterval = TimeSpan.FromMilliseconds(1) });
        var logger = provider.CreateLogger("c");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                logger.LogInformation("t{Thread} n{I}", thread, i);
            }
        })));
        provider.Dispose();

        var lines = string.Concat(output.Writes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16_000, lines.Length);
        Assert.Equal(16_000, lines.Select(line => line[(line.IndexOf("] ", StringComparison.Ordinal) + 2)..]).Distinct().Count());
        Assert.True(output.Writes.Count < 16_000, $"{output.Writes.Count} writes for 16,000 lines: lines were not batched");
    }

    /// <summary>Keeps each Write call's bytes apart, so a test can see how lines were batched.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly Lock _lock = new();
        private readonly List<string> _writes = [];

        public List<string> Writes
        {
            get
            {
                lock (_lock)
                {
                    return [.. _writes];
                }
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_lock)
            {
                _writes.Add(Encoding.UTF8.GetString(buffer));
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
