using Microsoft.Extensions.Options;

namespace Tollgate.Keys;

/// <summary>Keys from <c>Tollgate:Keys</c>, hashed once at start and held in memory.</summary>
public sealed class ConfigurationKeyStore : IKeyStore
{
    private readonly Dictionary<KeyHash, ApiKey> _keys = [];

    public ConfigurationKeyStore(IOptions<KeysOptions> options, KeyHasher hasher)
    {
        foreach (var key in options.Value.Keys)
        {
            var hash = key.Key is { Length: > 0 } text ? hasher.Compute(text) : ParseHash(key);
            _keys[hash] = new ApiKey
            {
                Id = key.Id,
                Name = key.Name ?? key.Id,
                Owner = key.Owner ?? "",
                AllowedModels = ApiKey.ModelSet(key.Models),
                State = key.Disabled ? KeyState.Disabled : KeyState.Active,
                ExpiresAt = key.ExpiresAt,
                RequestsPerMinute = key.RequestsPerMinute,
                TokensPerMinute = key.TokensPerMinute,
                Budget = BudgetOf(key),
                Hash = hash,
            };
        }
    }

    public ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_keys.TryGetValue(hash, out var key) && key.Hash.FixedTimeEquals(hash) ? key : null);

    /// <summary>The key's budget: <c>Budget</c>, else the legacy <c>MonthlyBudgetUsd</c> as a hard monthly one, else none.</summary>
    private static Budget? BudgetOf(ApiKeyOptions key) =>
        key.Budget ?? (key.MonthlyBudgetUsd is { } amount ? Budget.Monthly(amount) : null);

    private static KeyHash ParseHash(ApiKeyOptions key) =>
        key.KeyHash is not null && KeyHash.TryParseHex(key.KeyHash, out var hash)
            ? hash
            : throw new OptionsValidationException(KeysOptions.Section, typeof(ApiKeyOptions), [$"Key '{key.Id}' needs Key or a 64-hex-digit KeyHash."]);
}
