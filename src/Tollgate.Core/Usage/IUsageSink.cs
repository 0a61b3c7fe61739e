namespace Tollgate.Usage;

/// <summary>
/// Receives exactly one record per authenticated request, off the response path. A request first reserves
/// room (<see cref="TryReserve"/>); when there is none the gateway answers 503 rather than serve a request
/// it could not bill. Each reservation is consumed by exactly one <see cref="Record"/>.
/// </summary>
public interface IUsageSink
{
    /// <summary>Reserves room for one record; false when the ledger is backlogged and the request must be refused.</summary>
    bool TryReserve();

    /// <summary>Hands over a record for a reservation. Must not block.</summary>
    void Record(UsageRecord record);
}
