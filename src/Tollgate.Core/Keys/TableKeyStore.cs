using System.Buffers.Text;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Keys;

/// <summary>
/// Keys in Table Storage: point reads by hash for verification, and the admin operations (create, list,
/// get, update, disable, enable, revoke). Key text is <c>tg-{key id}-{43 base64url characters}</c>: a
/// recognisable prefix, the public id and 256 random bits; only its hash is stored.
/// </summary>
public sealed class TableKeyStore : IKeyStore
{
    public const string KeyPrefix = "tg-";

    private readonly TableClient _table;
    private readonly KeyHasher _hasher;
    private readonly TimeProvider _time;
    private readonly TollgateOptions _options;
    private readonly SemaphoreSlim _tableGate = new(1, 1);
    private volatile bool _tableReady;

    public TableKeyStore(TableStorage storage, KeyHasher hasher, TimeProvider time, IOptions<TollgateOptions> options)
    {
        _table = storage.Keys;
        _hasher = hasher;
        _time = time;
        _options = options.Value;
    }

    public string TableName => _table.Name;

    public async ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        var hex = hash.ToHex();
        TableEntity? row;
        try
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            row = await GetAsync(KeyEntity.HashPartition(hex), hex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TableStorage.IsOutage(e))
        {
            throw new KeyStoreUnavailableException(e);
        }
        if (row is null)
        {
            return null;
        }
        var key = KeyEntity.FromLookupRow(row);
        return key.Hash.FixedTimeEquals(hash) ? key : null;
    }

    public async Task<CreatedKey> CreateAsync(NewKey request, CancellationToken cancellationToken)
    {
        ValidateName(request.Name, "name");
        ValidateName(request.Owner, "owner");
        ValidateLimits(request.RequestsPerMinute, request.TokensPerMinute, request.MonthlyBudgetUsd);
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await EnsureOwnerHasRoomAsync(request.Owner, cancellationToken).ConfigureAwait(false);

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var text = KeyPrefix + id + "-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Id = id,
            Name = request.Name,
            Owner = request.Owner,
            AllowedModels = request.Models is { Count: > 0 } models ? new HashSet<string>(models, StringComparer.Ordinal) : null,
            RequestsPerMinute = request.RequestsPerMinute,
            TokensPerMinute = request.TokensPerMinute,
            MonthlyBudgetUsd = request.MonthlyBudgetUsd,
            ExpiresAt = request.ExpiresAt,
            State = KeyState.Active,
            CreatedAt = _time.GetUtcNow(),
            DisplayPrefix = KeyPrefix + id,
            Hash = _hasher.Compute(text),
        };

        await _table.AddEntityAsync(KeyEntity.ToLookupRow(key), cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.AddEntityAsync(KeyEntity.ToIndexRow(key), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Without its index row the key could not be managed: take the lookup row back out.
            await _table.DeleteEntityAsync(KeyEntity.HashPartition(key.Hash.ToHex()), key.Hash.ToHex(), ETag.All, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return new CreatedKey(key, text);
    }

    public async Task<ApiKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync(id, cancellationToken).ConfigureAwait(false))?.Key;

    /// <summary>Keys, optionally of one owner, a page at a time (lookup rows, ordered by hash).</summary>
    public async Task<(IReadOnlyList<ApiKey> Keys, string? ContinuationToken)> ListAsync(string? owner, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var filter = owner is null
            ? TableClient.CreateQueryFilter($"PartitionKey ge {"k"} and PartitionKey lt {"l"}")
            : TableClient.CreateQueryFilter($"PartitionKey ge {"k"} and PartitionKey lt {"l"} and Owner eq {owner}");
        var size = Math.Clamp(pageSize, 1, 1000);
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, size, cancellationToken: cancellationToken)
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
            ValidateName(changes.Name, "name");
        }
        ValidateLimits(changes.RequestsPerMinute, changes.TokensPerMinute, changes.MonthlyBudgetUsd);
        return ModifyAsync(id, key => new ApiKey
        {
            Id = key.Id,
            Name = changes.Name ?? key.Name,
            Owner = key.Owner,
            AllowedModels = changes.ClearModels ? null
                : changes.Models is { } models ? (models.Count == 0 ? null : new HashSet<string>(models, StringComparer.Ordinal)) : key.AllowedModels,
            RequestsPerMinute = changes.ClearRequestsPerMinute ? null : changes.RequestsPerMinute ?? key.RequestsPerMinute,
            TokensPerMinute = changes.ClearTokensPerMinute ? null : changes.TokensPerMinute ?? key.TokensPerMinute,
            MonthlyBudgetUsd = changes.ClearMonthlyBudget ? null : changes.MonthlyBudgetUsd ?? key.MonthlyBudgetUsd,
            ExpiresAt = changes.ClearExpiry ? null : changes.ExpiresAt ?? key.ExpiresAt,
            State = key.State,
            CreatedAt = key.CreatedAt,
            LastUsedAt = key.LastUsedAt,
            DisplayPrefix = key.DisplayPrefix,
            Hash = key.Hash,
        }, cancellationToken);
    }

    /// <summary>Moves a key between Active and Disabled, or to Revoked (final).</summary>
    public async Task<ApiKey> SetStateAsync(string id, KeyState state, CancellationToken cancellationToken)
    {
        if (state == KeyState.Active)
        {
            var current = await GetAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyAdministrationException(404, "key_not_found", $"No key has the id '{id}'.");
            if (current.State == KeyState.Disabled)
            {
                await EnsureOwnerHasRoomAsync(current.Owner, cancellationToken).ConfigureAwait(false);
            }
        }
        var updated = await ModifyAsync(id, key =>
        {
            if (key.State == KeyState.Revoked && state != KeyState.Revoked)
            {
                throw new KeyAdministrationException(409, "key_revoked", "A revoked key cannot be used again; create a new one.");
            }
            return new ApiKey
            {
                Id = key.Id, Name = key.Name, Owner = key.Owner, AllowedModels = key.AllowedModels,
                RequestsPerMinute = key.RequestsPerMinute, TokensPerMinute = key.TokensPerMinute, MonthlyBudgetUsd = key.MonthlyBudgetUsd,
                ExpiresAt = key.ExpiresAt, State = state, CreatedAt = key.CreatedAt, LastUsedAt = key.LastUsedAt,
                DisplayPrefix = key.DisplayPrefix, Hash = key.Hash,
            };
        }, cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(KeyEntity.ToIndexRow(updated), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Records that the key was used (called at most every few minutes per key).</summary>
    public async Task TouchAsync(ApiKey key, DateTimeOffset when, CancellationToken cancellationToken)
    {
        var hex = key.Hash.ToHex();
        var row = new TableEntity(KeyEntity.HashPartition(hex), hex) { ["LastUsedAt"] = when };
        try
        {
            await _table.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A key from configuration, or one deleted meanwhile: nothing to touch.
        }
    }

    private async Task<ApiKey> ModifyAsync(string id, Func<ApiKey, ApiKey> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await ReadAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyAdministrationException(404, "key_not_found", $"No key has the id '{id}'.");
            var updated = change(current.Key);
            try
            {
                await _table.UpdateEntityAsync(KeyEntity.ToLookupRow(updated), current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 5)
            {
                // Someone else changed the key between our read and write (e.g. a last-used touch): read again.
            }
        }
    }

    private async Task<(ApiKey Key, ETag ETag)?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsValidId(id))
        {
            return null;
        }
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var index = await GetAsync(KeyEntity.IdPartition, id, cancellationToken).ConfigureAwait(false);
        if (index?.GetString("Hash") is not { } hex || hex.Length != 64)
        {
            return null;
        }
        var row = await GetAsync(KeyEntity.HashPartition(hex), hex, cancellationToken).ConfigureAwait(false);
        return row is null ? null : (KeyEntity.FromLookupRow(row), row.ETag);
    }

    private async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    private async Task EnsureOwnerHasRoomAsync(string owner, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {KeyEntity.IdPartition} and Owner eq {owner} and State eq {nameof(KeyState.Active)}");
        var active = 0;
        await foreach (var _ in _table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            active++;
        }

        if (active >= _options.MaxActiveKeysPerOwner)
        {
            throw new KeyAdministrationException(409, "too_many_active_keys",
                $"The owner already has {active} active keys (the limit is {_options.MaxActiveKeysPerOwner}); revoke or disable one first.");
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady)
        {
            return;
        }
        await _tableGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_tableReady)
            {
                await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _tableReady = true;
            }
        }
        finally
        {
            _tableGate.Release();
        }
    }

    internal static bool IsValidId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static void ValidateName(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 128 || value.Any(char.IsControl))
        {
            throw new KeyAdministrationException(400, "invalid_" + field, $"'{field}' must be 1 to 128 printable characters.");
        }
    }

    private static void ValidateLimits(long? rpm, long? tpm, decimal? budget)
    {
        if (rpm is <= 0 || tpm is <= 0 || budget is < 0)
        {
            throw new KeyAdministrationException(422, "invalid_limit", "Limits must be positive (budget: zero or more).");
        }
    }
}
