namespace Tollgate.Storage;

/// <summary>An OData query: build filters with <see cref="TableFilter"/> so values are escaped.</summary>
public sealed record TableQuery(string? Filter = null, IReadOnlyList<string>? Select = null, int? Top = null);
