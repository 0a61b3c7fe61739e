using System.Buffers;
using System.Globalization;
using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>Whose usage a rollup sums: one key's, or every key of one owner.</summary>
public enum RollupScope
{
    Key,
    Owner,
}

/// <summary>
/// One key's or owner's usage in one period: totals and the same figures by model (the model clients asked for).
/// Always computed from what it sums (records, or the rollups of the periods inside it), never added to.
/// The breakdown by model is bounded whatever clients send: at most <see cref="MaxModels"/> lines, model names cut to
/// <see cref="MaxModelLength"/> characters; the models that cost least fall into the <see cref="OtherModels"/> line.
/// <see cref="Total"/> is always exact and equals the sum of the lines.
/// </summary>
public sealed class Rollup
{
    public required RollupScope Scope { get; init; }

    /// <summary>The key id or the owner.</summary>
    public required string Id { get; init; }

    public required BillingPeriod Period { get; init; }

    /// <summary>The key's owner (for an owner's rollup, the owner).</summary>
    public string Owner { get; set; } = "";

    public UsageTotals Total { get; init; } = new();

    public SortedDictionary<string, UsageTotals> Models { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The most lines <see cref="Models"/> keeps, <see cref="OtherModels"/> included.</summary>
    public const int MaxModels = 100;

    /// <summary>A model name longer than this is cut to it (records keep at most 128 characters already).</summary>
    public const int MaxModelLength = 128;

    /// <summary>The line that sums the models beyond the <see cref="MaxModels"/> - 1 that cost most (then had most requests).</summary>
    public const string OtherModels = "(other models)";

    /// <summary>Sums records, each request once however many times it was stored (a replayed page, a retried write).</summary>
    public static Rollup FromRecords(RollupScope scope, string id, BillingPeriod period, IEnumerable<UsageRecord> records)
    {
        var (rollup, seen) = Start(scope, id, period);
        foreach (var record in records)
        {
            rollup.Include(record, seen);
        }
        rollup.CapModels();
        return rollup;
    }

    /// <summary><see cref="FromRecords"/> as the records are read: only the one being added is held, not the period's records.</summary>
    public static async Task<Rollup> FromRecordsAsync(RollupScope scope, string id, BillingPeriod period, IAsyncEnumerable<UsageRecord> records,
        CancellationToken cancellationToken)
    {
        var (rollup, seen) = Start(scope, id, period);
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            rollup.Include(record, seen);
        }
        rollup.CapModels();
        return rollup;
    }

    private static (Rollup Rollup, SeenRequests Seen) Start(RollupScope scope, string id, BillingPeriod period) =>
        (new Rollup { Scope = scope, Id = id, Period = period, Owner = scope == RollupScope.Owner ? id : "" }, new SeenRequests());

    private void Include(UsageRecord record, SeenRequests seen)
    {
        if (!Period.Contains(record.StartedAt) || !seen.Add(record.RequestId))
        {
            return;
        }
        if (Owner.Length == 0)
        {
            Owner = record.Owner;
        }
        Total.Add(record);
        ModelTotals(record.RequestedModel).Add(record);
    }

    /// <summary>
    /// The request ids already counted. Tollgate's own ids (<c>req_</c> and 24 hex digits) are kept as the 96-bit number
    /// they spell, exactly and in a sixth of a string's memory: a 5-minute bucket of one busy key holds millions.
    /// </summary>
    private sealed class SeenRequests
    {
        private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");
        private readonly HashSet<UInt128> _numbers = [];
        private HashSet<string>? _others;

        public bool Add(string requestId)
        {
            // Lower-case digits only, so that two ids are one number exactly when they are one string.
            return requestId.Length == 28 && requestId.StartsWith("req_", StringComparison.Ordinal) && !requestId.AsSpan(4).ContainsAnyExcept(LowerHex)
                && UInt128.TryParse(requestId.AsSpan(4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var number)
                ? _numbers.Add(number)
                : (_others ??= new HashSet<string>(StringComparer.Ordinal)).Add(requestId);
        }
    }

    /// <summary>Sums rollups of the periods (or keys) inside <paramref name="period"/>.</summary>
    public static Rollup Sum(RollupScope scope, string id, BillingPeriod period, IEnumerable<Rollup> parts)
    {
        var rollup = new Rollup { Scope = scope, Id = id, Period = period, Owner = scope == RollupScope.Owner ? id : "" };
        foreach (var part in parts)
        {
            if (rollup.Owner.Length == 0)
            {
                rollup.Owner = part.Owner;
            }
            rollup.Total.Add(part.Total);
            foreach (var (model, totals) in part.Models)
            {
                rollup.ModelTotals(model).Add(totals);
            }
        }
        rollup.CapModels();
        return rollup;
    }

    /// <summary>
    /// Keeps the <see cref="MaxModels"/> - 1 models that cost most (ties: more requests, then the name in ordinal order, so
    /// the same figures always give the same lines) and adds the others into <see cref="OtherModels"/>.
    /// </summary>
    private void CapModels()
    {
        if (Models.Count <= MaxModels)
        {
            return;
        }
        var folded = Models.Where(m => m.Key != OtherModels)
            .OrderByDescending(m => m.Value.Cost).ThenByDescending(m => m.Value.Requests).ThenBy(m => m.Key, StringComparer.Ordinal)
            .Skip(MaxModels - 1).Select(m => m.Key).ToList();
        var other = ModelTotals(OtherModels);
        foreach (var model in folded)
        {
            other.Add(Models[model]);
            Models.Remove(model);
        }
    }

    private UsageTotals ModelTotals(string model)
    {
        if (model.Length > MaxModelLength)
        {
            // Never half a surrogate pair: stored JSON with one would not read back.
            model = model[..(char.IsHighSurrogate(model[MaxModelLength - 1]) ? MaxModelLength - 1 : MaxModelLength)];
        }
        if (!Models.TryGetValue(model, out var totals))
        {
            totals = new UsageTotals();
            Models.Add(model, totals);
        }
        return totals;
    }
}
