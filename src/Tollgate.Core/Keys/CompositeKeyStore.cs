namespace Tollgate.Keys;

/// <summary>Keys from configuration first (in memory), then the keys table.</summary>
public sealed class CompositeKeyStore(ConfigurationKeyStore configured, CachingKeyStore stored) : IKeyStore
{
    public async ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken) =>
        await configured.FindAsync(hash, cancellationToken).ConfigureAwait(false)
        ?? await stored.FindAsync(hash, cancellationToken).ConfigureAwait(false);
}
