namespace Tollgate.Benchmarks;

/// <summary>The same load sent straight to the mock and through Tollgate.</summary>
internal sealed record LoadResult(string Scenario, bool Stream, int Connections, WrkRun Direct, WrkRun Tollgate)
{
    public double ThroughputRatio => Tollgate.RequestsPerSecond / Direct.RequestsPerSecond;

    public double AddedP50Ms => Tollgate.P50Ms - Direct.P50Ms;
}

/// <summary>RSS before and after opening <see cref="Count"/> idle streams, as is and after a full collection.</summary>
internal sealed record IdleStreams(int Count, long Before, long After, long BeforeCollected, long AfterCollected)
{
    public double KbPerStream => (After - Before) / 1024.0 / Count;

    public double CollectedKbPerStream => (AfterCollected - BeforeCollected) / 1024.0 / Count;
}
