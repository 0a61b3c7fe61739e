using System.Collections.Concurrent;

namespace Tollgate.Keys;

/// <summary>
/// Remembers lookups for <see cref="TollgateOptions.KeyCacheTtl"/> (unknown keys for a fifth of it, so a
/// flood of bad keys does not reach storage each time). Concurrent misses for one key share one lookup.
/// When storage fails, a key seen before keeps working for up to ten TTLs rather than locking out every
/// client; with nothing cached the caller gets <see cref="KeyStoreUnavailableException"/> (503).
/// Also records last use, at most every five minutes per key, off the request path.
/// </summary>
public sealed class CachingKeyStore(TableKeyStore inner, TimeProvider time, TimeSpan ttl) : IKeyStore
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<KeyHash, Entry> _entries = new();
    private readonly ConcurrentDictionary<KeyHash, Task<ApiKey?>> _inFlight = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);

    public async ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(hash, out var entry) && entry.FreshUntil > now)
        {
            Touch(entry.Key, now);
            return entry.Key;
        }

        ApiKey? key;
        try
        {
            key = await _inFlight.GetOrAdd(hash, h => LookupAsync(h)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KeyStoreUnavailableException) when (entry is not null && entry.UsableUntil > now)
        {
            return entry.Key; // storage is down: keep serving what we knew a moment ago
        }

        if (key is not null || _entries.Count < MaxEntries)
        {
            var fresh = key is null ? ttl / 5 : ttl;
            _entries[hash] = new Entry(key, now + fresh, now + ttl * 10);
        }
        Touch(key, now);
        return key;
    }

    /// <summary>Forgets a key at once in this instance (after an admin change made here).</summary>
    public void Invalidate(KeyHash hash) => _entries.TryRemove(hash, out _);

    private async Task<ApiKey?> LookupAsync(KeyHash hash)
    {
        try
        {
            return await inner.FindAsync(hash, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(hash, out _);
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
        catch (Exception e) when (e is Storage.TableStorageException or HttpRequestException or IOException)
        {
            // Last-used is informational; the next touch will try again.
            _touched.TryRemove(key.Id, out _);
        }
    }

    private sealed record Entry(ApiKey? Key, DateTimeOffset FreshUntil, DateTimeOffset UsableUntil);
}
