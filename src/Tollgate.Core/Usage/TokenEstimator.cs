namespace Tollgate.Usage;

/// <summary>
/// Token counts when the upstream reports none. A byte-based heuristic (about four bytes of UTF-8 text per
/// token, plus a small per-message overhead); the record is marked estimated or partial, never reported.
/// </summary>
public static class TokenEstimator
{
    public const int BytesPerToken = 4;
    public const int TokensPerMessage = 4;

    public static long FromTextBytes(long bytes) => bytes <= 0 ? 0 : (bytes + BytesPerToken - 1) / BytesPerToken;

    public static long Prompt(long textBytes, int messageCount) => FromTextBytes(textBytes) + (long)messageCount * TokensPerMessage;
}
