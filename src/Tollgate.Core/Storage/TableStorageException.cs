namespace Tollgate.Storage;

/// <summary>A failed Table Storage call: HTTP status, Table error code and, for a transaction, the failed action's index.</summary>
public sealed class TableStorageException(int status, string? errorCode, string message, int? failedIndex = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Status { get; } = status;

    /// <summary>e.g. <c>EntityAlreadyExists</c>, <c>UpdateConditionNotSatisfied</c>, <c>ResourceNotFound</c>, <c>ServerBusy</c>.</summary>
    public string? ErrorCode { get; } = errorCode;

    /// <summary>In a transaction, the zero-based index of the action that failed.</summary>
    public int? FailedIndex { get; } = failedIndex;

    public bool IsAlreadyExists => Status == 409 && ErrorCode == "EntityAlreadyExists";

    public bool IsNotFound => Status == 404;

    public bool IsPreconditionFailed => Status == 412;

    /// <summary>Worth retrying later: throttling, timeouts, server errors, or no answer at all.</summary>
    public bool IsTransient => Status is 0 or 408 or 429 or >= 500;
}
