namespace Tollgate.Keys;

/// <summary>Finds a key by the hash of its text.</summary>
public interface IKeyStore
{
    ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken);
}
