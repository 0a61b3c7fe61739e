using System.Net;
using System.Text;

namespace Tollgate.Benchmarks;

/// <summary>
/// An in-process stand-in for the Table service under the SDK: reads each request whole, answers table creation
/// with 204 and an entity group transaction with 202 and one <c>204 No Content</c> part per action, in the
/// service's multipart format. Counts what it was sent.
/// </summary>
internal sealed class TableServiceStandIn : HttpMessageHandler
{
    public long Transactions;
    public long Entities;
    public long RequestBytes;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Interlocked.Add(ref RequestBytes, body.Length);
        if (!request.RequestUri!.AbsolutePath.EndsWith("$batch", StringComparison.Ordinal))
        {
            return new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request };
        }

        var batch = request.Content!.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var text = Encoding.UTF8.GetString(body);
        var changesetAt = text.IndexOf("boundary=changeset_", StringComparison.Ordinal) + "boundary=".Length;
        var changeset = text[changesetAt..text.IndexOf('\r', changesetAt)];
        var actions = CountOf(text, "--" + changeset + "\r\n");
        Interlocked.Increment(ref Transactions);
        Interlocked.Add(ref Entities, actions);

        var response = new StringBuilder();
        var responseChangeset = changeset.Replace("changeset_", "changesetresponse_", StringComparison.Ordinal);
        response.Append("--").Append(batch.Replace("batch_", "batchresponse_", StringComparison.Ordinal)).Append("\r\n")
            .Append("Content-Type: multipart/mixed; boundary=").Append(responseChangeset).Append("\r\n\r\n");
        for (var i = 0; i < actions; i++)
        {
            response.Append("--").Append(responseChangeset).Append("\r\n")
                .Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .Append("HTTP/1.1 204 No Content\r\nDataServiceVersion: 3.0;\r\nETag: W/\"datetime'2026-11-23T01%3A51%3A17.7923149Z'\"\r\n\r\n\r\n");
        }
        response.Append("--").Append(responseChangeset).Append("--\r\n")
            .Append("--").Append(batch.Replace("batch_", "batchresponse_", StringComparison.Ordinal)).Append("--\r\n");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(response.ToString()));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/mixed; boundary=" + batch.Replace("batch_", "batchresponse_", StringComparison.Ordinal));
        return new HttpResponseMessage(HttpStatusCode.Accepted) { RequestMessage = request, Content = content };
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
