namespace Tollgate.Tests.Harness;

/// <summary>One shared gateway and mock for a test class whose tests do not change configuration.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await GatewayHost.StartAsync();

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
