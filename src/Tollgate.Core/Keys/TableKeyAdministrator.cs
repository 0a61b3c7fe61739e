using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Keys;

/// <summary>
/// The admin operations on keys in Table Storage: create, list, get, update, and the state changes (disable,
/// enable, revoke). Each change is a read and a conditional write on the key's lookup row (ETag), retried when
/// something else wrote in between; an owner may have at most <see cref="KeysOptions.MaxActiveKeysPerOwner"/>
/// active keys.
/// </summary>
public sealed class TableKeyAdministrator(KeyTable table, KeyHasher hasher, TimeProvider time, IOptions<KeysOptions> options)
{
    private const int MaxWriteAttempts = 6;

    private readonly int _maxActiveKeysPerOwner = options.Value.MaxActiveKeysPerOwner;

    public async Task<CreatedKey> CreateAsync(NewKey request, CancellationToken cancellationToken)
    {
        KeyValidation.ValidateName(request.Name);
        KeyValidation.ValidateOwner(request.Owner);
        KeyValidation.ValidateLimits(request.RequestsPerMinute, request.TokensPerMinute, request.Budget);
        KeyValidation.ValidateExpiry(request.ExpiresAt, time.GetUtcNow());
        await table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await EnsureOwnerHasRoomAsync(request.Owner, cancellationToken).ConfigureAwait(false);

        var (id, text) = KeyTextFormat.Generate();
        var key = new ApiKey
        {
            Id = id,
            Name = request.Name,
            Owner = request.Owner,
            AllowedModels = ApiKey.ModelSet(request.Models),
            RequestsPerMinute = request.RequestsPerMinute,
            TokensPerMinute = request.TokensPerMinute,
            Budget = request.Budget,
            ExpiresAt = request.ExpiresAt,
            State = KeyState.Active,
            CreatedAt = time.GetUtcNow(),
            DisplayPrefix = KeyTextFormat.DisplayPrefix(id),
            Hash = hasher.Compute(text),
        };

        var hex = key.Hash.ToHex();
        await table.Client.AddEntityAsync(KeyEntity.ToLookupRow(key), cancellationToken).ConfigureAwait(false);
        try
        {
            await table.Client.AddEntityAsync(KeyEntity.ToIndexRow(key), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Without its index row the key could not be managed: take the lookup row back out.
            await table.Client.DeleteEntityAsync(KeyEntity.HashPartition(hex), hex, ETag.All, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return new CreatedKey(key, text);
    }

    public async Task<ApiKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync(id, cancellationToken).ConfigureAwait(false))?.Key;

    /// <summary>Keys, optionally of one owner, a page at a time (lookup rows, ordered by hash).</summary>
    public async Task<(IReadOnlyList<ApiKey> Keys, string? ContinuationToken)> ListAsync(string? owner, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = owner is null
            ? TableClient.CreateQueryFilter($"PartitionKey ge {"k"} and PartitionKey lt {"l"}")
            : TableClient.CreateQueryFilter($"PartitionKey ge {"k"} and PartitionKey lt {"l"} and Owner eq {owner}");
        var size = Math.Clamp(pageSize, 1, 1000);
        await foreach (var page in table.Client.QueryAsync<TableEntity>(filter, size, cancellationToken: cancellationToken)
            .AsPages(PageToken.Decode(continuationToken), size).ConfigureAwait(false))
        {
            return (page.Values.Select(KeyEntity.FromLookupRow).ToList(), PageToken.Encode(page.ContinuationToken));
        }
        return ([], null);
    }

    public Task<ApiKey> UpdateAsync(string id, KeyChanges changes, CancellationToken cancellationToken)
    {
        if (changes.Name is not null)
        {
            KeyValidation.ValidateName(changes.Name);
        }
        KeyValidation.ValidateLimits(changes.RequestsPerMinute, changes.TokensPerMinute, changes.Budget);
        KeyValidation.ValidateExpiry(changes.ExpiresAt, time.GetUtcNow());
        return ModifyAsync(id, changes.ApplyTo, cancellationToken);
    }

    /// <summary>Moves a key between Active and Disabled, or to Revoked (final).</summary>
    public async Task<ApiKey> SetStateAsync(string id, KeyState state, CancellationToken cancellationToken)
    {
        if (state == KeyState.Active)
        {
            var current = await GetAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw KeyAdministrationException.NotFound(id);
            if (current.State == KeyState.Disabled)
            {
                await EnsureOwnerHasRoomAsync(current.Owner, cancellationToken).ConfigureAwait(false);
            }
        }
        var updated = await ModifyAsync(id, key =>
        {
            if (key.State == KeyState.Revoked && state != KeyState.Revoked)
            {
                throw new KeyAdministrationException(KeyAdministrationError.Revoked, "A revoked key cannot be used again; create a new one.");
            }
            return key with { State = state };
        }, cancellationToken).ConfigureAwait(false);
        await table.Client.UpsertEntityAsync(KeyEntity.ToIndexRow(updated), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    private async Task<ApiKey> ModifyAsync(string id, Func<ApiKey, ApiKey> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw KeyAdministrationException.NotFound(id);
            var updated = change(current.Key);
            try
            {
                await table.Client.UpdateEntityAsync(KeyEntity.ToLookupRow(updated), current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < MaxWriteAttempts)
            {
                // Someone else changed the key between our read and write (e.g. a last-used touch): read again.
            }
        }
    }

    private async Task<(ApiKey Key, ETag ETag)?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (!KeyValidation.IsValidId(id))
        {
            return null;
        }
        await table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var index = await table.GetAsync(KeyEntity.IdPartition, id, cancellationToken).ConfigureAwait(false);
        if (index?.GetString("Hash") is not { } hex || hex.Length != 64)
        {
            return null;
        }
        var row = await table.GetAsync(KeyEntity.HashPartition(hex), hex, cancellationToken).ConfigureAwait(false);
        return row is null ? null : (KeyEntity.FromLookupRow(row), row.ETag);
    }

    private async Task EnsureOwnerHasRoomAsync(string owner, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {KeyEntity.IdPartition} and Owner eq {owner} and State eq {nameof(KeyState.Active)}");
        var active = 0;
        await foreach (var _ in table.Client.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            active++;
        }

        if (active >= _maxActiveKeysPerOwner)
        {
            throw new KeyAdministrationException(KeyAdministrationError.TooManyActiveKeys,
                $"The owner already has {active} active keys (the limit is {_maxActiveKeysPerOwner}); revoke or disable one first.");
        }
    }
}
