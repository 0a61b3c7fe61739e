namespace Tollgate.Storage;

/// <summary>
/// The Table Storage operations Tollgate uses. <see cref="TableStorageClient"/> implements it on Azure.Core;
/// an implementation on Azure.Data.Tables' <c>TableClient</c> can replace it in one file.
/// Failures are <see cref="TableStorageException"/>.
/// </summary>
public interface ITableStore
{
    Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken);

    /// <summary>The entity, or null when there is none.</summary>
    Task<TableEntity?> GetEntityAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken);

    /// <summary>Inserts; 409 <c>EntityAlreadyExists</c> when the keys are taken. Returns the new ETag.</summary>
    Task<string?> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces/merges regardless of what is stored. Returns the new ETag.</summary>
    Task<string?> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken);

    /// <summary>Updates only if the stored ETag is <paramref name="ifMatch"/> (or any, for <c>*</c>); 412 otherwise, 404 when absent.</summary>
    Task<string?> UpdateAsync(string table, TableEntity entity, TableUpdateMode mode, string ifMatch, CancellationToken cancellationToken);

    /// <summary>Deletes; 404 when absent, 412 when the ETag does not match.</summary>
    Task DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch, CancellationToken cancellationToken);

    /// <summary>One page of a query; pass the returned continuation token to get the next.</summary>
    Task<TablePage> QueryAsync(string table, TableQuery query, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>An entity group transaction: at most 100 actions, one partition, under 4 MiB; all or nothing.</summary>
    Task SubmitTransactionAsync(string table, IReadOnlyList<TableAction> actions, CancellationToken cancellationToken);
}
