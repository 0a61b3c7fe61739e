using System.Net;

namespace Tollgate.Tests.Harness;

/// <summary>
/// The HTTP edge under the Table SDK in tests: passes requests on (to Azurite), counts entity point reads,
/// can fail every request like a storage outage, or answer from a function instead.
/// </summary>
public sealed class StorageHandler(Func<HttpRequestMessage, HttpResponseMessage?>? answer = null) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _pointReads;

    public int PointReads => Volatile.Read(ref _pointReads);

    public bool Fail { get; set; }

    /// <summary>When set, requests after this many fail like an outage (a process that loses storage half-way).</summary>
    public int? FailAfter { get; init; }

    private int _requests;

    /// <summary>How many more entity group transactions reach storage but lose their answer (the caller sees a 503).</summary>
    public int LoseBatchAnswers;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath.EndsWith("$batch", StringComparison.Ordinal) == true && Interlocked.Decrement(ref LoseBatchAnswers) >= 0)
        {
            using var landed = await base.SendAsync(request, cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, landed.StatusCode);
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
        }
        return await SendOrAnswerAsync(request, cancellationToken);
    }

    private Task<HttpResponseMessage> SendOrAnswerAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Get && request.RequestUri?.AbsolutePath.Contains("(PartitionKey=", StringComparison.Ordinal) == true)
        {
            Interlocked.Increment(ref _pointReads);
        }
        if (Fail || (FailAfter is { } limit && Interlocked.Increment(ref _requests) > limit))
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
        }
        return answer?.Invoke(request) is { } response ? Task.FromResult(response) : base.SendAsync(request, cancellationToken);
    }
}
