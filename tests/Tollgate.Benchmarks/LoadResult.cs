namespace Tollgate.Benchmarks;

/// <summary>The same load sent straight to the mock and through Tollgate.</summary>
internal sealed record LoadResult(string Scenario, bool Stream, int Connections, WrkRun Direct, WrkRun Tollgate)
{
    public double ThroughputRatio => Tollgate.RequestsPerSecond / Direct.RequestsPerSecond;

    public double AddedP50Ms => Tollgate.P50Ms - Direct.P50Ms;
}
