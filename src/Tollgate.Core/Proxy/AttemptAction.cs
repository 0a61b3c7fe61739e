namespace Tollgate.Proxy;

/// <summary>What the forwarder does with one attempt at a deployment (<see cref="AttemptClassifier"/>).</summary>
public enum AttemptAction
{
    /// <summary>The deployment answered 2xx: the answer is relayed to the client.</summary>
    Relay,

    /// <summary>
    /// The deployment failed in a way another may not: the next deployment of the plan is tried, and when none is
    /// left the request is answered with what all its failures amount to.
    /// </summary>
    FailOver,

    /// <summary>The attempt's failure is the request's answer: no other deployment is tried.</summary>
    Final,
}
