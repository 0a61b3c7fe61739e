namespace Tollgate.Storage;

/// <summary>
/// A Table Storage entity: keys, ETag and typed properties. Supported property types: string, bool, int,
/// long, double, DateTimeOffset, Guid and byte[] (Table Storage's own types).
/// </summary>
public sealed class TableEntity
{
    public TableEntity(string partitionKey, string rowKey)
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; }
    public string RowKey { get; }
    public string? ETag { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public Dictionary<string, object?> Properties { get; } = new(StringComparer.Ordinal);

    public object? this[string name]
    {
        get => Properties.GetValueOrDefault(name);
        set => Properties[name] = value;
    }

    public string? GetString(string name) => Properties.GetValueOrDefault(name) as string;

    public long? GetInt64(string name) => Properties.GetValueOrDefault(name) switch
    {
        long l => l,
        int i => i,
        double d when d == Math.Floor(d) => (long)d,
        string s when long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    public int? GetInt32(string name) => GetInt64(name) is { } l && l is >= int.MinValue and <= int.MaxValue ? (int)l : null;

    public double? GetDouble(string name) => Properties.GetValueOrDefault(name) switch
    {
        double d => d,
        int i => i,
        long l => l,
        _ => null,
    };

    public bool? GetBoolean(string name) => Properties.GetValueOrDefault(name) as bool?;

    public DateTimeOffset? GetDateTimeOffset(string name) => Properties.GetValueOrDefault(name) switch
    {
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
        _ => null,
    };
}
