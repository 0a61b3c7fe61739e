using System.Text.Json;

namespace Tollgate.Admin;

/// <summary>
/// POST <c>/manage/keys</c>. <see cref="Budget"/> is a budget object (see <see cref="BudgetParser"/>), read after the
/// rest so its errors name its fields; <see cref="MonthlyBudgetUsd"/> is the legacy shorthand for a hard monthly budget
/// of that amount, in the billing currency. Not both.
/// </summary>
public sealed record CreateKeyRequest(
    string? Name,
    string? Owner,
    string[]? Models,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    JsonElement? Budget,
    decimal? MonthlyBudgetUsd,
    DateTimeOffset? ExpiresAt);
