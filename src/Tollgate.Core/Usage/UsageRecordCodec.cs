using System.Buffers.Binary;
using System.Text;

namespace Tollgate.Usage;

/// <summary>
/// The compact binary form of usage records inside a usage page: one format byte, then records one after
/// another. Integers are LEB128 varints; strings that repeat (owner, models, upstream, codes) are written once
/// per page and referred to by index afterwards; request ids of Tollgate's own form (<c>req_</c> + 24 hex) take
/// 12 bytes. A record costs about 40 to 60 bytes, so one 60 KB page carries about a thousand.
/// </summary>
internal static class UsageRecordCodec
{
    /// <summary>
    /// 3 adds the upstream attempts (a varint, only when not 1); 2 added each record's cost and price version. Pages of
    /// formats 1 and 2 are still read.
    /// </summary>
    public const byte Format = 3;

    private const byte FormatWithoutCost = 1;
    private const byte FormatWithoutAttempts = 2;

    // Record flags.
    private const int StreamFlag = 1;
    private const int TtftFlag = 2;
    private const int CompactIdFlag = 4;
    private const int UnpricedFlag = 1 << 9;
    private const int CostFlag = 1 << 10;
    private const int AttemptsFlag = 1 << 11;

    // String references: 0 = null, 1 = a new string follows (it takes the next index), n >= 2 = index n - 2.
    private const int NullString = 0;
    private const int NewString = 1;

    /// <summary>Reads every record of a page. <paramref name="keyId"/> is the page's key (every record shares it).</summary>
    public static List<UsageRecord> Decode(ReadOnlySpan<byte> data, string keyId)
    {
        if (data.IsEmpty || data[0] is not (Format or FormatWithoutAttempts or FormatWithoutCost))
        {
            throw new InvalidDataException($"A usage page has an unknown format ({(data.IsEmpty ? "empty" : data[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}).");
        }
        var withCost = data[0] != FormatWithoutCost;
        var withAttempts = data[0] == Format;
        var records = new List<UsageRecord>();
        var strings = new List<string>();
        var position = 1;
        long previousStart = 0;
        while (position < data.Length)
        {
            var flags = (int)ReadVarint(data, ref position);
            string requestId;
            if ((flags & CompactIdFlag) != 0)
            {
                requestId = "req_" + Convert.ToHexStringLower(Take(data, ref position, 12));
            }
            else
            {
                requestId = ReadString(data, ref position);
            }
            var started = previousStart + Unzig(ReadVarint(data, ref position));
            previousStart = started;
            var record = new UsageRecord
            {
                RequestId = requestId,
                KeyId = keyId,
                StartedAt = new DateTimeOffset(started, TimeSpan.Zero),
                Stream = (flags & StreamFlag) != 0,
                Source = (UsageSource)((flags >> 3) & 0x7),
                Outcome = (RequestOutcome)((flags >> 6) & 0x7),
            };
            record.CompletedAt = new DateTimeOffset(started + Unzig(ReadVarint(data, ref position)), TimeSpan.Zero);
            record.Status = (int)ReadVarint(data, ref position);
            record.PromptTokens = (long)ReadVarint(data, ref position);
            record.CompletionTokens = (long)ReadVarint(data, ref position);
            record.CachedTokens = (long)ReadVarint(data, ref position);
            record.ReasoningTokens = (long)ReadVarint(data, ref position);
            record.DurationMs = ReadDouble(data, ref position);
            record.TimeToFirstTokenMs = (flags & TtftFlag) != 0 ? ReadDouble(data, ref position) : null;
            record.Owner = ReadRef(data, ref position, strings) ?? "";
            record.RequestedModel = ReadRef(data, ref position, strings) ?? "";
            record.UpstreamModel = ReadRef(data, ref position, strings) ?? "";
            record.Upstream = ReadRef(data, ref position, strings) ?? "";
            record.ErrorCode = ReadRef(data, ref position, strings);
            record.FinishReason = ReadRef(data, ref position, strings);
            if (withCost)
            {
                record.Unpriced = (flags & UnpricedFlag) != 0;
                record.Cost = (flags & CostFlag) != 0 ? ReadDecimal(data, ref position) : 0m;
                record.PriceVersion = ReadRef(data, ref position, strings);
            }
            // Before format 3 a record with upstream figures had made one attempt.
            record.Attempts = withAttempts && (flags & AttemptsFlag) != 0 ? (int)ReadVarint(data, ref position)
                : record.Status == 0 ? 0 : 1;
            records.Add(record);
        }
        return records;
    }

    /// <summary>Appends records to one page's buffer, and takes the last one back out when it overflowed the page.</summary>
    internal sealed class Writer
    {
        private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
        private readonly List<string> _added = [];
        private byte[] _buffer;
        private long _previousStart;

        public Writer(int capacity)
        {
            _buffer = new byte[capacity];
            _buffer[0] = Format;
            Length = 1;
        }

        public int Length { get; private set; }

        public int Count { get; private set; }

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

        /// <summary>Adds the record if the page stays within <paramref name="maxBytes"/> (a page's first record always goes in).</summary>
        public bool TryAdd(UsageRecord record, int maxBytes)
        {
            var start = Length;
            var previous = _previousStart;
            _added.Clear();
            Write(record);
            if (Length > maxBytes && Count > 0)
            {
                Length = start;
                _previousStart = previous;
                foreach (var text in _added)
                {
                    _strings.Remove(text);
                }
                return false;
            }
            Count++;
            return true;
        }

        private void Write(UsageRecord record)
        {
            var compactId = IsCompactId(record.RequestId);
            var flags = (record.Stream ? StreamFlag : 0) | (record.TimeToFirstTokenMs is null ? 0 : TtftFlag) | (compactId ? CompactIdFlag : 0)
                        | ((int)record.Source & 0x7) << 3 | ((int)record.Outcome & 0x7) << 6
                        | (record.Unpriced ? UnpricedFlag : 0) | (record.Cost != 0 ? CostFlag : 0) | (record.Attempts != 1 ? AttemptsFlag : 0);
            WriteVarint((ulong)flags);
            if (compactId)
            {
                Ensure(12);
                Convert.FromHexString(record.RequestId.AsSpan(4), _buffer.AsSpan(Length, 12), out _, out _);
                Length += 12;
            }
            else
            {
                WriteString(record.RequestId);
            }
            var started = record.StartedAt.UtcTicks;
            WriteVarint(Zig(started - _previousStart));
            _previousStart = started;
            WriteVarint(Zig(record.CompletedAt.UtcTicks - started));
            WriteVarint((ulong)Math.Max(0, record.Status));
            WriteVarint((ulong)Math.Max(0, record.PromptTokens));
            WriteVarint((ulong)Math.Max(0, record.CompletionTokens));
            WriteVarint((ulong)Math.Max(0, record.CachedTokens));
            WriteVarint((ulong)Math.Max(0, record.ReasoningTokens));
            WriteDouble(record.DurationMs);
            if (record.TimeToFirstTokenMs is { } ttft)
            {
                WriteDouble(ttft);
            }
            WriteRef(record.Owner);
            WriteRef(record.RequestedModel);
            WriteRef(record.UpstreamModel);
            WriteRef(record.Upstream);
            WriteRef(record.ErrorCode);
            WriteRef(record.FinishReason);
            if (record.Cost != 0)
            {
                WriteDecimal(record.Cost);
            }
            WriteRef(record.PriceVersion);
            if (record.Attempts != 1)
            {
                WriteVarint((ulong)Math.Max(0, record.Attempts));
            }
        }

        /// <summary>A decimal exactly: its 96-bit magnitude as three varints, then scale and sign in one.</summary>
        private void WriteDecimal(decimal value)
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(value, bits);
            WriteVarint((uint)bits[0]);
            WriteVarint((uint)bits[1]);
            WriteVarint((uint)bits[2]);
            WriteVarint((uint)bits[3] >> 16);
        }

        private void WriteRef(string? text)
        {
            if (text is null)
            {
                WriteVarint(NullString);
            }
            else if (_strings.TryGetValue(text, out var index))
            {
                WriteVarint((ulong)index + 2);
            }
            else
            {
                WriteVarint(NewString);
                WriteString(text);
                _strings.Add(text, _strings.Count);
                _added.Add(text);
            }
        }

        private void WriteString(string text)
        {
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            Ensure(max + 5);
            var count = Encoding.UTF8.GetByteCount(text);
            WriteVarint((ulong)count);
            Length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(Length));
        }

        private void WriteDouble(double value)
        {
            Ensure(8);
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(Length), value);
            Length += 8;
        }

        private void WriteVarint(ulong value)
        {
            Ensure(10);
            while (value >= 0x80)
            {
                _buffer[Length++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[Length++] = (byte)value;
        }

        private void Ensure(int more)
        {
            if (Length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + more));
            }
        }

        private static bool IsCompactId(string id)
        {
            if (id.Length != 28 || !id.StartsWith("req_", StringComparison.Ordinal))
            {
                return false;
            }
            foreach (var c in id.AsSpan(4))
            {
                if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                {
                    return false;
                }
            }
            return true;
        }
    }

    private static ulong Zig(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long Unzig(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new InvalidDataException("A usage page ends inside a record.");
            }
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("A usage page holds a malformed number.");
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int position, ulong length)
    {
        if (length > (ulong)(data.Length - position))
        {
            throw new InvalidDataException("A usage page ends inside a record.");
        }
        var taken = data.Slice(position, (int)length);
        position += (int)length;
        return taken;
    }

    private static decimal ReadDecimal(ReadOnlySpan<byte> data, ref int position)
    {
        var lo = (int)(uint)ReadVarint(data, ref position);
        var mid = (int)(uint)ReadVarint(data, ref position);
        var hi = (int)(uint)ReadVarint(data, ref position);
        var scaleAndSign = ReadVarint(data, ref position);
        var scale = (byte)(scaleAndSign & 0xFF);
        return scale <= 28 ? new decimal(lo, mid, hi, (scaleAndSign & 0x8000) != 0, scale) : throw new InvalidDataException("A usage page holds a malformed amount.");
    }

    private static double ReadDouble(ReadOnlySpan<byte> data, ref int position) =>
        BinaryPrimitives.ReadDoubleLittleEndian(Take(data, ref position, 8));

    private static string ReadString(ReadOnlySpan<byte> data, ref int position) =>
        Encoding.UTF8.GetString(Take(data, ref position, ReadVarint(data, ref position)));

    private static string? ReadRef(ReadOnlySpan<byte> data, ref int position, List<string> strings)
    {
        var reference = ReadVarint(data, ref position);
        switch (reference)
        {
            case NullString:
                return null;
            case NewString:
                var text = ReadString(data, ref position);
                strings.Add(text);
                return text;
            default:
                var index = reference - 2;
                return index < (ulong)strings.Count ? strings[(int)index] : throw new InvalidDataException("A usage page refers to a string it does not hold.");
        }
    }
}
