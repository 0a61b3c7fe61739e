using Azure.Data.Tables;
using Tollgate.Storage;

namespace Tollgate.Keys;

/// <summary>
/// The keys table (rows described in <see cref="KeyEntity"/>), shared by lookup and administration: created on
/// first use, once per process, and read a row at a time.
/// </summary>
public sealed class KeyTable(TableStorage storage)
{
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private volatile bool _created;

    public TableClient Client { get; } = storage.Keys;

    public async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }
        await _createGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await Client.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _createGate.Release();
        }
    }

    /// <summary>A point read: the row, or null when there is none.</summary>
    public async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await Client.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }
}
