using System.Buffers;
using System.Text.Json;

namespace Tollgate.Json;

/// <summary>
/// Detects a property name that occurs twice in one JSON object, at any depth. Names are compared by a
/// 64-bit hash of their unescaped bytes; a frame switches to a hash set once it holds many names so that a
/// hostile object with thousands of keys stays linear.
/// </summary>
internal sealed class DuplicateKeyTracker
{
    private const int LinearLimit = 24;

    [ThreadStatic]
    private static DuplicateKeyTracker? _cached;

    private ulong[] _hashes = new ulong[64];
    private int _count;
    private readonly Stack<(int Start, HashSet<ulong>? Set)> _frames = new();

    /// <summary>Names compared or looked up so far: the work done, which tests hold to linear growth.</summary>
    public long Probes { get; private set; }

    public static DuplicateKeyTracker Rent()
    {
        var tracker = _cached ?? new DuplicateKeyTracker();
        _cached = null;
        return tracker;
    }

    public static void Return(DuplicateKeyTracker tracker)
    {
        tracker._count = 0;
        tracker._frames.Clear();
        _cached = tracker;
    }

    public void BeginObject() => _frames.Push((_count, null));

    public void EndObject() => _count = _frames.Pop().Start;

    /// <summary>Adds the property name the reader is on; false when the current object already had it.</summary>
    public bool TryAdd(ref Utf8JsonReader reader)
    {
        var hash = HashName(ref reader);
        var (start, set) = _frames.Peek();
        if (set is not null)
        {
            Probes++;
            return set.Add(hash);
        }

        for (var i = start; i < _count; i++)
        {
            if (_hashes[i] == hash)
            {
                Probes += i - start + 1;
                return false;
            }
        }
        Probes += _count - start;

        if (_count - start >= LinearLimit)
        {
            set = new HashSet<ulong>(_hashes.AsSpan(start, _count - start).ToArray()) { hash };
            _frames.Pop();
            _frames.Push((start, set));
            return true;
        }

        if (_count == _hashes.Length)
        {
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }
        _hashes[_count++] = hash;
        return true;
    }

    private static ulong HashName(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return StableHash.Fnv1a64(reader.ValueSpan);
        }

        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = reader.CopyString(rented);
            return StableHash.Fnv1a64(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
