using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;

namespace Tollgate.Keys;

/// <summary>
/// Keys in Table Storage. The lookup row: PartitionKey <c>k</c> + first two hex digits of the hash, RowKey the
/// hash in hex, holding everything about the key but its text. The index row: PartitionKey <c>id</c>, RowKey
/// the key id, pointing at the hash (for admin calls by id). A key's budget is BudgetAmount (invariant decimal text),
/// BudgetTokens, BudgetPeriod and BudgetMode; rows written before budgets had periods hold MonthlyBudgetUsd instead.
/// </summary>
internal static class KeyEntity
{
    public const string IdPartition = "id";

    public static string HashPartition(string hashHex) => "k" + hashHex[..2];

    public static TableEntity ToLookupRow(ApiKey key)
    {
        var hex = key.Hash.ToHex();
        var row = new TableEntity(HashPartition(hex), hex)
        {
            ["KeyId"] = key.Id,
            ["Name"] = key.Name,
            ["Owner"] = key.Owner,
            ["State"] = key.State.ToString(),
            ["DisplayPrefix"] = key.DisplayPrefix,
        };
        // Absent, not null: a replaced row then has no stale value, and the service stores no empty properties.
        SetIfPresent(row, "Models", key.AllowedModels is null ? null : JsonSerializer.Serialize(key.AllowedModels.Order(StringComparer.Ordinal).ToArray(), KeysJsonContext.Default.StringArray));
        SetIfPresent(row, "Rpm", key.RequestsPerMinute);
        SetIfPresent(row, "Tpm", key.TokensPerMinute);
        if (key.Budget is { } budget)
        {
            SetIfPresent(row, "BudgetAmount", budget.Amount?.ToString(CultureInfo.InvariantCulture));
            SetIfPresent(row, "BudgetTokens", budget.Tokens);
            row["BudgetPeriod"] = Budget.Name(budget.Period);
            row["BudgetMode"] = Budget.Name(budget.Mode);
        }
        SetIfPresent(row, "ExpiresAt", key.ExpiresAt);
        SetIfPresent(row, "CreatedAt", key.CreatedAt);
        SetIfPresent(row, "LastUsedAt", key.LastUsedAt);
        return row;
    }

    private static void SetIfPresent(TableEntity row, string name, object? value)
    {
        if (value is not null)
        {
            row[name] = value;
        }
    }

    public static TableEntity ToIndexRow(ApiKey key) => new(IdPartition, key.Id)
    {
        ["Hash"] = key.Hash.ToHex(),
        ["Owner"] = key.Owner,
        ["State"] = key.State.ToString(),
    };

    public static ApiKey FromLookupRow(TableEntity row)
    {
        if (!KeyHash.TryParseHex(row.RowKey, out var hash))
        {
            throw new InvalidDataException("A keys row has a RowKey that is not a key hash.");
        }
        var models = row.GetString("Models") is { Length: > 0 } json
            ? JsonSerializer.Deserialize(json, KeysJsonContext.Default.StringArray)
            : null;
        return new ApiKey
        {
            Id = row.GetString("KeyId") ?? "",
            Name = row.GetString("Name") ?? "",
            Owner = row.GetString("Owner") ?? "",
            AllowedModels = models is null ? null : new HashSet<string>(models, StringComparer.Ordinal),
            RequestsPerMinute = row.GetInt64("Rpm"),
            TokensPerMinute = row.GetInt64("Tpm"),
            Budget = ReadBudget(row),
            ExpiresAt = row.GetDateTimeOffset("ExpiresAt"),
            State = Enum.TryParse<KeyState>(row.GetString("State"), out var state) ? state : KeyState.Disabled,
            CreatedAt = row.GetDateTimeOffset("CreatedAt"),
            LastUsedAt = row.GetDateTimeOffset("LastUsedAt"),
            DisplayPrefix = row.GetString("DisplayPrefix") ?? "",
            Hash = hash,
        };
    }

    private static Budget? ReadBudget(TableEntity row)
    {
        var amount = ReadDecimal(row, "BudgetAmount");
        var tokens = row.GetInt64("BudgetTokens");
        if (amount is null && tokens is null)
        {
            return ReadDecimal(row, "MonthlyBudgetUsd") is { } monthly ? Budget.Monthly(monthly) : null;
        }
        return new Budget
        {
            Amount = amount,
            Tokens = tokens,
            Period = Budget.TryParse<BudgetPeriod>(row.GetString("BudgetPeriod"), out var period) ? period : BudgetPeriod.Month,
            Mode = Budget.TryParse<BudgetMode>(row.GetString("BudgetMode"), out var mode) ? mode : BudgetMode.Hard,
        };
    }

    private static decimal? ReadDecimal(TableEntity row, string name) =>
        decimal.TryParse(row.GetString(name), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}
