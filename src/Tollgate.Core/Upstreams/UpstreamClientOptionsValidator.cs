using Microsoft.Extensions.Options;

namespace Tollgate.Upstreams;

/// <summary>Fails start-up on an upstream connect timeout that is not positive, naming the setting's path.</summary>
internal sealed class UpstreamClientOptionsValidator : IValidateOptions<UpstreamClientOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamClientOptions options) =>
        options.UpstreamConnectTimeout > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{UpstreamClientOptions.Section}:UpstreamConnectTimeout must be positive.");
}
