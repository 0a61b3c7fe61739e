using System.Globalization;
using System.Text.Json;

namespace Tollgate.Storage;

/// <summary>Table Storage's JSON entity format (OData minimal metadata): type annotations for Int64, DateTime, Guid, Binary.</summary>
internal static class TableEntityJson
{
    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        writer.WriteString("PartitionKey", entity.PartitionKey);
        writer.WriteString("RowKey", entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            switch (value)
            {
                case null:
                    break;
                case string s:
                    writer.WriteString(name, s);
                    break;
                case bool b:
                    writer.WriteBoolean(name, b);
                    break;
                case int i:
                    writer.WriteNumber(name, i);
                    break;
                case long l:
                    writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                    writer.WriteString(name + "@odata.type", "Edm.Int64");
                    break;
                case double d when double.IsFinite(d):
                    writer.WriteNumber(name, d);
                    break;
                case double:
                    break;
                case DateTimeOffset dto:
                    writer.WriteString(name, dto.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
                    writer.WriteString(name + "@odata.type", "Edm.DateTime");
                    break;
                case Guid g:
                    writer.WriteString(name, g.ToString("D"));
                    writer.WriteString(name + "@odata.type", "Edm.Guid");
                    break;
                case byte[] bytes:
                    writer.WriteString(name, Convert.ToBase64String(bytes));
                    writer.WriteString(name + "@odata.type", "Edm.Binary");
                    break;
                default:
                    throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which Table Storage cannot hold.");
            }
        }
        writer.WriteEndObject();
    }

    public static TableEntity Read(JsonElement element, string? etagHeader = null)
    {
        var partitionKey = element.TryGetProperty("PartitionKey", out var pk) ? pk.GetString() ?? "" : "";
        var rowKey = element.TryGetProperty("RowKey", out var rk) ? rk.GetString() ?? "" : "";
        var entity = new TableEntity(partitionKey, rowKey)
        {
            ETag = etagHeader ?? (element.TryGetProperty("odata.etag", out var etag) ? etag.GetString() : null),
        };

        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name is "PartitionKey" or "RowKey" || name.StartsWith("odata.", StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }
            var type = element.TryGetProperty(name + "@odata.type", out var annotation) ? annotation.GetString() : null;
            var value = ReadValue(property.Value, type);
            if (name == "Timestamp")
            {
                entity.Timestamp = value as DateTimeOffset? ?? (value is string ts && DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null);
                continue;
            }
            entity.Properties[name] = value;
        }
        return entity;
    }

    private static object? ReadValue(JsonElement value, string? type)
    {
        switch (type)
        {
            case "Edm.Int64":
                return long.Parse(value.GetString()!, CultureInfo.InvariantCulture);
            case "Edm.DateTime":
                return DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            case "Edm.Guid":
                return Guid.Parse(value.GetString()!);
            case "Edm.Binary":
                return Convert.FromBase64String(value.GetString()!);
            case "Edm.Double":
                return value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDouble();
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetInt32(out var i) => i,
            JsonValueKind.Number => value.GetDouble(),
            _ => null,
        };
    }
}
