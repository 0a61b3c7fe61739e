using System.Text.Json.Serialization;

namespace Tollgate.Admin;

/// <summary>The JSON of the admin API for billing (<see cref="BillingAdminHandlers"/>), in snake case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PriceRequest))]
[JsonSerializable(typeof(PriceResponse))]
[JsonSerializable(typeof(PriceListResponse))]
[JsonSerializable(typeof(RollupListResponse))]
[JsonSerializable(typeof(StatementResponse))]
public sealed partial class BillingJsonApiContext : JsonSerializerContext;
