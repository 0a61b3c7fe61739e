using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Billing;
using Tollgate.Errors;
using Tollgate.Jobs;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Routing;

namespace Tollgate.Admin;

/// <summary>
/// The admin API for billing: the price list (read, set, remove a future price), rollups of a key or an owner over a
/// range, monthly statements as JSON or CSV, and a run of the aggregation on demand.
/// </summary>
/// <param name="gateway">The gateway's options, whose <c>Keys</c> are configuration's (a key's rollups need the key to exist).</param>
/// <param name="keys">The keys table; null without storage.</param>
/// <param name="rollups">The rollups table, which rollups, statements and stored prices need; null without storage.</param>
public sealed partial class BillingAdminHandlers(
    AdminAuthenticator authenticator, PriceBook prices, IOptions<PricingOptions> options, IOptions<KeysOptions> gateway, ModelRouter router,
    TableKeyAdministrator? keys, RollupStore? rollups, ScheduledJob job, TimeProvider time, ILogger<BillingAdminHandlers> logger)
{
    private readonly PricingOptions _options = options.Value;

    public Task ListPricesAsync(HttpContext context) => AdminPipeline.RunAsync(context, authenticator, async ct =>
    {
        if (!AdminRequest.TryParseTime(context.Request.Query["at"].FirstOrDefault(), out var at))
        {
            return AdminErrors.InvalidTime("at");
        }
        var when = at ?? time.GetUtcNow();
        var list = prices.Prices;
        var inEffect = list.Current(when).ToHashSet();
        var data = list.All.Select(p => PriceResponse.From(p, prices.IsStored(p), inEffect.Contains(p))).ToList();
        await AdminPipeline.WriteAsync(context, 200, new PriceListResponse(_options.Currency, _options.AllowUnpriced, when, data),
            BillingJsonApiContext.Default.PriceListResponse).ConfigureAwait(false);
        return null;
    });

    public Task SetPriceAsync(HttpContext context) => WithStorageAsync(context, async (_, ct) =>
    {
        var (request, error) = await AdminRequest.ReadJsonAsync(context, BillingJsonApiContext.Default.PriceRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return error;
        }
        if (request.InputPerMillion is not { } input || request.OutputPerMillion is not { } output)
        {
            return AdminErrors.InvalidPrice("input_per_million and output_per_million are required.");
        }
        if (request.Model is { Length: > 0 } model && AdminChecks.FirstUnservedModel(router, [model]) is { } unserved)
        {
            return AdminErrors.UnservedModel(unserved, "model");
        }
        var now = time.GetUtcNow();
        var price = new ModelPrice
        {
            Model = request.Model ?? "",
            Upstream = request.Upstream,
            EffectiveFrom = (request.EffectiveFrom ?? now).ToUniversalTime(),
            InputPerMillion = input,
            CachedInputPerMillion = request.CachedInputPerMillion,
            OutputPerMillion = output,
            ReasoningPerMillion = request.ReasoningPerMillion,
            PerRequest = request.PerRequest ?? 0,
        };
        if (price.Problem() is { } problem)
        {
            return AdminErrors.InvalidPrice(problem);
        }
        if (price.EffectiveFrom < now.AddSeconds(-5))
        {
            return AdminErrors.PriceInPast();
        }
        await prices.SetAsync(price, ct).ConfigureAwait(false);
        LogPriceSet(logger, AdminPipeline.AdminId(context), Diagnostics.LogValue.Safe(price.Version));
        await AdminPipeline.WriteAsync(context, 200, PriceResponse.From(price, stored: true, inEffect: price.EffectiveFrom <= now),
            BillingJsonApiContext.Default.PriceResponse).ConfigureAwait(false);
        return null;
    });

    public Task DeletePriceAsync(HttpContext context) => WithStorageAsync(context, async (_, ct) =>
    {
        var query = context.Request.Query;
        if (!AdminRequest.TryParseTime(query["effective_from"].FirstOrDefault(), out var from) || from is null)
        {
            return AdminErrors.InvalidTime("effective_from");
        }
        var model = query["model"].FirstOrDefault() ?? "";
        var upstream = query["upstream"].FirstOrDefault() is { Length: > 0 } u ? u : null;
        if (from <= time.GetUtcNow())
        {
            return AdminErrors.PriceInEffect();
        }
        if (!await prices.DeleteAsync(model, upstream, from.Value, ct).ConfigureAwait(false))
        {
            return AdminErrors.PriceNotFound();
        }
        LogPriceRemoved(logger, AdminPipeline.AdminId(context), Diagnostics.LogValue.Safe(new ModelPrice { Model = model, Upstream = upstream, EffectiveFrom = from.Value }.Version));
        context.Response.StatusCode = 204;
        return null;
    });

    public Task KeyRollupsAsync(HttpContext context) => RollupsAsync(context, RollupScope.Key);

    public Task OwnerRollupsAsync(HttpContext context) => RollupsAsync(context, RollupScope.Owner);

    public Task KeyStatementAsync(HttpContext context) => StatementAsync(context, RollupScope.Key);

    public Task OwnerStatementAsync(HttpContext context) => StatementAsync(context, RollupScope.Owner);

    /// <summary>Runs the aggregation now (it also runs on its schedule), and says what it did.</summary>
    public Task AggregateAsync(HttpContext context) => WithStorageAsync(context, async (_, ct) =>
    {
        var run = await job.RunAsync(ct).ConfigureAwait(false);
        var result = run.Aggregation!; // WithStorageAsync: storage is configured, so the aggregation ran.
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
            $$"""{"pages_read":{{result.PagesRead}},"key_buckets":{{result.KeyBuckets}},"key_hours":{{result.KeyHours}},"rollups_written":{{result.RollupsWritten}},"watermark":"{{result.Watermark.UtcDateTime:O}}","leases_released":{{run.LeasesReleased}}}"""), ct).ConfigureAwait(false);
        return null;
    });

    private Task RollupsAsync(HttpContext context, RollupScope scope) => WithStorageAsync(context, async (store, ct) =>
    {
        var query = context.Request.Query;
        var kind = (query["period"].FirstOrDefault() ?? "day") switch
        {
            "hour" => PeriodKind.Hour,
            "day" => PeriodKind.Day,
            "month" => PeriodKind.Month,
            _ => (PeriodKind?)null,
        };
        if (kind is null)
        {
            return AdminErrors.InvalidPeriod();
        }
        if (!AdminRequest.TryParseTime(query["from"].FirstOrDefault(), out var from))
        {
            return AdminErrors.InvalidTime("from");
        }
        if (!AdminRequest.TryParseTime(query["to"].FirstOrDefault(), out var to))
        {
            return AdminErrors.InvalidTime("to");
        }
        var (span, limit) = kind switch
        {
            PeriodKind.Hour => (TimeSpan.FromDays(1), TimeSpan.FromDays(31)),
            PeriodKind.Day => (TimeSpan.FromDays(31), TimeSpan.FromDays(366)),
            _ => (TimeSpan.FromDays(366), TimeSpan.FromDays(3660)),
        };
        var end = to ?? time.GetUtcNow().AddMinutes(1);
        var start = from ?? end - span;
        if (end <= start || end - start > limit)
        {
            return AdminErrors.InvalidRange(limit);
        }
        if (await RouteSubjectAsync(context, scope, ct).ConfigureAwait(false) is not { } id)
        {
            return AdminErrors.KeyNotFound(AdminRequest.RouteId(context));
        }
        var found = await store.ReadAsync(scope, id, kind.Value, start, end, ct).ConfigureAwait(false);
        var (asOf, _) = await store.ReadWatermarkAsync(ct).ConfigureAwait(false);
        await AdminPipeline.WriteAsync(context, 200, new RollupListResponse(scope.ToString().ToLowerInvariant(), id, _options.Currency, asOf,
            found.Select(RollupResponse.From).ToList()), BillingJsonApiContext.Default.RollupListResponse).ConfigureAwait(false);
        return null;
    });

    private Task StatementAsync(HttpContext context, RollupScope scope) => WithStorageAsync(context, async (store, ct) =>
    {
        var query = context.Request.Query;
        if (!AdminRequest.TryParseMonth(query["month"].FirstOrDefault(), out var start))
        {
            return AdminErrors.InvalidMonth();
        }
        var month = BillingPeriod.Of(PeriodKind.Month, start ?? time.GetUtcNow());
        if (await RouteSubjectAsync(context, scope, ct).ConfigureAwait(false) is not { } id)
        {
            return AdminErrors.KeyNotFound(AdminRequest.RouteId(context));
        }
        var rollup = await store.GetAsync(scope, id, month, ct).ConfigureAwait(false);
        var (asOf, _) = await store.ReadWatermarkAsync(ct).ConfigureAwait(false);
        var statement = Statement.Build(scope, id, month, rollup, _options.Currency, _options.CurrencyDecimals, asOf);

        var wantsCsv = query["format"].FirstOrDefault() is { } format
            ? format.Equals("csv", StringComparison.OrdinalIgnoreCase)
            : context.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase);
        if (!wantsCsv)
        {
            await AdminPipeline.WriteAsync(context, 200, StatementResponse.From(statement), BillingJsonApiContext.Default.StatementResponse).ConfigureAwait(false);
            return null;
        }
        var csv = Encoding.UTF8.GetBytes(StatementCsv.Write(statement));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/csv; charset=utf-8; header=present";
        var name = $"tollgate-{scope.ToString().ToLowerInvariant()}-{RollupStore.SafeOwner(id)}-{month.Start:yyyy-MM}.csv";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        context.Response.ContentLength = csv.Length;
        await context.Response.Body.WriteAsync(csv, ct).ConfigureAwait(false);
        return null;
    });

    /// <summary>Rollups, statements and stored prices live in Table Storage: the action gets the rollups table.</summary>
    private Task WithStorageAsync(HttpContext context, Func<RollupStore, CancellationToken, Task<ApiError?>> action) =>
        AdminPipeline.RunAsync(context, authenticator, ct => rollups is { } store
            ? action(store, ct)
            : Task.FromResult<ApiError?>(AdminErrors.StorageNotConfigured));

    /// <summary>
    /// The key id or owner in the route: null for a key that does not exist (404, as for <c>GET /manage/keys/{id}</c>);
    /// an owner no key could have is refused (400 through the pipeline).
    /// </summary>
    private async Task<string?> RouteSubjectAsync(HttpContext context, RollupScope scope, CancellationToken cancellationToken)
    {
        if (scope == RollupScope.Owner)
        {
            return AdminRequest.RouteOwner(context);
        }
        var id = AdminRequest.RouteId(context);
        return await AdminChecks.KeyExistsAsync(gateway.Value, keys, id, cancellationToken).ConfigureAwait(false) ? id : null;
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Admin {AdminId} set price {Version}")]
    private static partial void LogPriceSet(ILogger logger, string adminId, string version);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Admin {AdminId} removed price {Version}")]
    private static partial void LogPriceRemoved(ILogger logger, string adminId, string version);
}
