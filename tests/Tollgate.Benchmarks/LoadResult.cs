namespace Tollgate.Benchmarks;

/// <summary>
/// One scenario's rounds: in each, the same load sent straight to the mock, through the bare pass-through proxy and
/// through Tollgate, back to back. The figures reported are each target's median round (by requests/s), and the
/// spread of Tollgate's ratios across rounds, so that a change can be told from noise.
/// </summary>
internal sealed record LoadResult(string Scenario, bool Stream, int Connections, IReadOnlyList<WrkRun> DirectRounds, IReadOnlyList<WrkRun> PassThroughRounds, IReadOnlyList<WrkRun> TollgateRounds)
{
    public WrkRun Direct => WrkRun.Median(DirectRounds);

    public WrkRun PassThrough => WrkRun.Median(PassThroughRounds);

    public WrkRun Tollgate => WrkRun.Median(TollgateRounds);

    public double ThroughputRatio => Tollgate.RequestsPerSecond / Direct.RequestsPerSecond;

    /// <summary>Tollgate's requests/s over the bare pass-through's: 1.0 is a proxy that costs nothing beyond moving bytes.</summary>
    public double PassThroughRatio => Tollgate.RequestsPerSecond / PassThrough.RequestsPerSecond;

    /// <summary>Tollgate's CPU per request over the bare pass-through's.</summary>
    public double CpuRatio => Tollgate.CpuMsPerRequest / PassThrough.CpuMsPerRequest;

    public double AddedP50Ms => Tollgate.P50Ms - Direct.P50Ms;

    /// <summary>Smallest and largest of Tollgate's per-round throughput ratio to the pass-through run of the same round.</summary>
    public (double Min, double Max) PassThroughRatioSpread => Spread((t, p) => t.RequestsPerSecond / p.RequestsPerSecond);

    /// <summary>Smallest and largest of Tollgate's per-round CPU ratio to the pass-through run of the same round.</summary>
    public (double Min, double Max) CpuRatioSpread => Spread((t, p) => t.CpuMsPerRequest / p.CpuMsPerRequest);

    private (double Min, double Max) Spread(Func<WrkRun, WrkRun, double> ratio)
    {
        var ratios = TollgateRounds.Zip(PassThroughRounds, ratio).ToList();
        return (ratios.Min(), ratios.Max());
    }
}

/// <summary>RSS before and after opening <see cref="Count"/> idle streams, as is and after a full collection.</summary>
internal sealed record IdleStreams(int Count, long Before, long After, long BeforeCollected, long AfterCollected)
{
    public double KbPerStream => (After - Before) / 1024.0 / Count;

    public double CollectedKbPerStream => (AfterCollected - BeforeCollected) / 1024.0 / Count;
}

/// <summary>Sequential stream time-to-first-byte samples (sorted, ms) for each path.</summary>
internal sealed record TimeToFirstByte(IReadOnlyList<double> Direct, IReadOnlyList<double> PassThrough, IReadOnlyList<double> Tollgate, IReadOnlyList<double> TollgateUnmetered);
