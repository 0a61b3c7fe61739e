namespace Tollgate.Usage;

/// <summary>Where a usage record's token figures came from.</summary>
public enum UsageSource
{
    /// <summary>No tokens were used: the request never reached a model.</summary>
    None,

    /// <summary>The upstream reported usage.</summary>
    Reported,

    /// <summary>The upstream completed but reported no usage; Tollgate estimated it from the text.</summary>
    Estimated,

    /// <summary>The response was cut short (client gone, upstream died); tokens estimated from what was relayed.</summary>
    Partial,
}
