namespace Tollgate.Streaming;

/// <summary>What a stream chunk carried, as far as the relay cares.</summary>
public enum ChunkKind
{
    /// <summary>Choices (deltas, finish reasons), possibly with usage attached.</summary>
    Content,

    /// <summary>Usage with no choices: the chunk <c>stream_options.include_usage</c> adds at the end.</summary>
    UsageOnly,

    /// <summary>An error object sent inside the stream.</summary>
    Error,
}
