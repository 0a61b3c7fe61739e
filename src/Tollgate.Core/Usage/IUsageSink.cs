namespace Tollgate.Usage;

/// <summary>Receives exactly one record per authenticated request, off the response path. Must not block.</summary>
public interface IUsageSink
{
    void Record(UsageRecord record);
}
