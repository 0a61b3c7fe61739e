using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Proxy;
using Tollgate.Usage;

namespace Tollgate.Benchmarks;

/// <summary>Relaying a 20-event stream (scan, tap, write, flush per read): reported per event.</summary>
public class StreamRelayBenchmarks
{
    private const int Events = 20;
    private byte[] _stream = [];
    private ChatRequest _request = null!;
    private StreamRelay _relay = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder();
        sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        for (var i = 0; i < Events - 3; i++)
        {
            sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token ").Append(i).Append("\"},\"finish_reason\":null}]}\n\n");
        }
        sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":17,\"total_tokens\":27}}\n\n");
        sb.Append("data: [DONE]\n\n");
        _stream = Encoding.UTF8.GetBytes(sb.ToString());
        ChatRequestParser.TryParse("""{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"""u8, out _request);
        _relay = new StreamRelay(new ProxyOptions(), TimeProvider.System, NullLogger.Instance);
    }

    [Benchmark(Description = "SSE relay + usage tap, per event", OperationsPerInvoke = Events)]
    public async Task RelayStream()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = Stream.Null;
        var exchange = new ProxyExchange(context, new UsageRecord { RequestId = "req_bench" }, 0) { Request = _request };
        await _relay.RelayAsync(exchange, new EventPerReadStream(_stream), CancellationToken.None);
        exchange.Tap.Dispose(); // as the handler does when the request ends: the kept text goes back to the pool
    }

    /// <summary>Hands out one SSE event per read, as an upstream streaming token by token would.</summary>
    private sealed class EventPerReadStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= data.Length)
            {
                return 0;
            }
            var end = data.AsSpan(_position).IndexOf("\n\n"u8);
            var length = Math.Min(end < 0 ? data.Length - _position : end + 2, buffer.Length);
            data.AsSpan(_position, length).CopyTo(buffer);
            _position += length;
            return length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
