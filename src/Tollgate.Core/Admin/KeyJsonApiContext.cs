using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.Admin;

/// <summary>The JSON of the admin API for keys (<see cref="KeyAdminHandlers"/>), in snake case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(BudgetResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(KeyListResponse))]
[JsonSerializable(typeof(UsageListResponse))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class KeyJsonApiContext : JsonSerializerContext;
