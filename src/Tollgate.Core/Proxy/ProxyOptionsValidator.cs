using Microsoft.Extensions.Options;

namespace Tollgate.Proxy;

/// <summary>Fails start-up on request-path limits and timeouts Tollgate cannot serve with, naming the setting's path.</summary>
internal sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>();
        const string S = ProxyOptions.Section;
        if (options.MaxRequestBodyBytes is < 1024 or > 256L * 1024 * 1024)
        {
            failures.Add($"{S}:MaxRequestBodyBytes must be between 1024 and 268435456.");
        }
        if (options.OversizedBodyDrainBytes < 0)
        {
            failures.Add($"{S}:OversizedBodyDrainBytes must not be negative.");
        }
        if (options.OversizedBodyDrainTimeout < TimeSpan.Zero)
        {
            failures.Add($"{S}:OversizedBodyDrainTimeout must not be negative.");
        }
        if (options.MaxUpstreamResponseBytes < 1024)
        {
            failures.Add($"{S}:MaxUpstreamResponseBytes must be at least 1024.");
        }
        if (options.MaxSseEventBytes < 1024)
        {
            failures.Add($"{S}:MaxSseEventBytes must be at least 1024.");
        }
        foreach (var (property, value) in new[]
                 {
                     ("RequestBodyTimeout", options.RequestBodyTimeout),
                     ("UpstreamResponseTimeout", options.UpstreamResponseTimeout), ("StreamIdleTimeout", options.StreamIdleTimeout),
                     ("StreamHeartbeatInterval", options.StreamHeartbeatInterval),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{S}:{property} must be positive.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
