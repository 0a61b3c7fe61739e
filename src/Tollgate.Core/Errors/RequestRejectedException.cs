namespace Tollgate.Errors;

/// <summary>Raised inside the parser to unwind to its entry point with the error to answer.</summary>
internal sealed class RequestRejectedException(ApiError error) : Exception(error.Message)
{
    public ApiError Error { get; } = error;
}
