using Tollgate.Errors;

namespace Tollgate.Keys;

public readonly record struct AuthenticationResult(ApiKey? Key, ApiError? Error);
