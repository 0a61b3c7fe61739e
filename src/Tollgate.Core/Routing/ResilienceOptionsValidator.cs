using Microsoft.Extensions.Options;

namespace Tollgate.Routing;

/// <summary>Fails start-up on failover and circuit-breaker settings out of range (<see cref="ResilienceOptions.Problem"/>).</summary>
internal sealed class ResilienceOptionsValidator : IValidateOptions<ResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, ResilienceOptions options) =>
        options.Problem() is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Tollgate:Resilience is invalid: MaxAttempts 1 to 10, FailureRatio in (0, 1], MinimumThroughput at least 2, StreamAttemptTimeout and AttemptTimeout 10 ms to 24 hours, other durations positive.");
}
