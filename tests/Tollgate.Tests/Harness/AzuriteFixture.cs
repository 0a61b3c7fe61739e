using Tollgate.Storage;

[assembly: AssemblyFixture(typeof(Tollgate.Tests.Harness.AzuriteFixture))]

namespace Tollgate.Tests.Harness;

/// <summary>One in-memory Azurite for the whole test run; tests isolate themselves with unique table prefixes.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private int _counter;

    public AzuriteInstance Azurite { get; private set; } = null!;

    public string ConnectionString => Azurite.ConnectionString;

    /// <summary>A table prefix no other test uses (letters and digits, as table names require).</summary>
    public string UniquePrefix() => "t" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "x" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Tollgate's tables under <paramref name="prefix"/>, through the SDK as the gateway builds it; optionally over <paramref name="handler"/>.</summary>
    public TableStorage CreateStorage(string prefix, HttpMessageHandler? handler = null) => Azurite.CreateStorage(prefix, handler);

    public async ValueTask InitializeAsync() => Azurite = await AzuriteInstance.StartAsync();

    public async ValueTask DisposeAsync() => await Azurite.DisposeAsync();
}
