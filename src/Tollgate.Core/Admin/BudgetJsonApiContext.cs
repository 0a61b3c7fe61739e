using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.Admin;

/// <summary>The JSON of the admin API for owner budgets (<see cref="BudgetAdminHandlers"/>), in snake case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OwnerBudgetResponse))]
[JsonSerializable(typeof(OwnerBudgetListResponse))]
[JsonSerializable(typeof(BudgetAccountResponse))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class BudgetJsonApiContext : JsonSerializerContext;
