using System.Collections.Concurrent;

namespace Tollgate.Keys;

/// <summary>
/// Remembers lookups for <see cref="KeysOptions.KeyCacheTtl"/> (unknown keys for a fifth of it, so a
/// flood of bad keys does not reach storage each time). Concurrent misses for one key share one lookup.
/// When storage fails, a key seen before keeps working for up to ten TTLs rather than locking out every
/// client; with nothing cached the caller gets <see cref="KeyStoreUnavailableException"/> (503).
/// Also records last use, at most every five minutes per key, off the request path.
/// </summary>
public sealed class CachingKeyStore(TableKeyLookup inner, TimeProvider time, TimeSpan ttl) : IKeyStore
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<KeyHash, Entry> _entries = new();
    private readonly ConcurrentDictionary<KeyHash, Task<ApiKey?>> _inFlight = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);
    private long _generation;

    public async ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(hash, out var entry) && entry.FreshUntil > now)
        {
            Touch(entry.Key, now);
            return entry.Key;
        }

        ApiKey? key;
        var generation = Volatile.Read(ref _generation);
        try
        {
            key = await SharedLookup(hash).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KeyStoreUnavailableException) when (entry is not null && entry.UsableUntil > now)
        {
            return entry.Key; // storage is down: keep serving what we knew a moment ago
        }

        // A lookup that overlapped an invalidation may carry the state from before the change: use it, don't keep it.
        if (generation == Volatile.Read(ref _generation) && (key is not null || _entries.Count < MaxEntries))
        {
            var fresh = key is null ? ttl / 5 : ttl;
            _entries[hash] = new Entry(key, now + fresh, now + ttl * 10);
        }
        Touch(key, now);
        return key;
    }

    /// <summary>Forgets a key at once in this instance (after an admin change made here).</summary>
    public void Invalidate(KeyHash hash)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(hash, out _);
    }

    /// <summary>
    /// One lookup per key at a time: the shared task is published before the lookup starts, so its removal
    /// afterwards can never miss it (a stale finished task left behind would answer every later miss).
    /// </summary>
    private Task<ApiKey?> SharedLookup(KeyHash hash)
    {
        while (true)
        {
            if (_inFlight.TryGetValue(hash, out var running))
            {
                if (!running.IsCompleted)
                {
                    return running;
                }
                // Finished, but its caller resumed before it was removed: its answer is from before this miss.
                _inFlight.TryRemove(new KeyValuePair<KeyHash, Task<ApiKey?>>(hash, running));
                continue;
            }
            var completion = new TaskCompletionSource<ApiKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(hash, completion.Task))
            {
                _ = RunLookupAsync(hash, completion);
                return completion.Task;
            }
        }
    }

    private async Task RunLookupAsync(KeyHash hash, TaskCompletionSource<ApiKey?> completion)
    {
        try
        {
            completion.SetResult(await inner.FindAsync(hash, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            completion.SetException(e);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<KeyHash, Task<ApiKey?>>(hash, completion.Task));
        }
    }

    private void Touch(ApiKey? key, DateTimeOffset now)
    {
        if (key is null || key.State != KeyState.Active)
        {
            return;
        }
        var last = _touched.GetValueOrDefault(key.Id, key.LastUsedAt ?? DateTimeOffset.MinValue);
        if (now - last < TouchEvery || !_touched.TryUpdate(key.Id, now, last) && !_touched.TryAdd(key.Id, now))
        {
            return;
        }
        _ = TouchQuietlyAsync(key, now);
    }

    private async Task TouchQuietlyAsync(ApiKey key, DateTimeOffset now)
    {
        try
        {
            await inner.TouchAsync(key, now, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (Storage.TableStorage.IsOutage(e) || e is Azure.RequestFailedException)
        {
            // Last-used is informational; the next touch will try again.
            _touched.TryRemove(key.Id, out _);
        }
    }

    private sealed record Entry(ApiKey? Key, DateTimeOffset FreshUntil, DateTimeOffset UsableUntil);
}
