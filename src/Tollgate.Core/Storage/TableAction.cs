namespace Tollgate.Storage;

/// <summary>One operation of an entity group transaction. Updates and deletes use the entity's ETag, or * when it has none.</summary>
public sealed record TableAction(TableActionType Type, TableEntity Entity);
