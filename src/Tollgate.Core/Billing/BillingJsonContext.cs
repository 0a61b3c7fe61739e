using System.Text.Json.Serialization;

namespace Tollgate.Billing;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SortedDictionary<string, UsageTotals>))]
internal sealed partial class BillingJsonContext : JsonSerializerContext;
