namespace Tollgate.Storage;

public enum TableActionType
{
    Insert,
    UpsertReplace,
    UpsertMerge,
    UpdateReplace,
    UpdateMerge,
    Delete,
}
