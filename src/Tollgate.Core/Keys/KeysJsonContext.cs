using System.Text.Json.Serialization;

namespace Tollgate.Keys;

[JsonSerializable(typeof(string[]))]
internal sealed partial class KeysJsonContext : JsonSerializerContext;
