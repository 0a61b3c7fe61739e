using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace Tollgate.Storage;

/// <summary>
/// Tollgate's tables on one shared <see cref="TableServiceClient"/> (Azure.Data.Tables): built from a connection
/// string (shared key, or Azurite's <c>UseDevelopmentStorage=true</c>) or from a Table endpoint and a managed
/// identity. Owns the table names; the SDK owns signing, retries, transactions and continuation.
/// </summary>
public sealed class TableStorage
{
    public TableStorage(IOptions<StorageOptions> options)
        : this(CreateServiceClient(options.Value), options.Value.TablePrefix)
    {
    }

    public TableStorage(TableServiceClient service, string tablePrefix)
    {
        Service = service;
        Keys = service.GetTableClient(tablePrefix + "keys");
        Usage = service.GetTableClient(tablePrefix + "usage");
        Prices = service.GetTableClient(tablePrefix + "prices");
        Rollups = service.GetTableClient(tablePrefix + "rollups");
        Quotas = service.GetTableClient(tablePrefix + "quotas");
        Budgets = service.GetTableClient(tablePrefix + "budgets");
    }

    public TableServiceClient Service { get; }

    /// <summary>Keys: lookup rows by hash and index rows by id (see <c>Keys/KeyEntity</c>).</summary>
    public TableClient Keys { get; }

    /// <summary>Usage pages written by the ledger (see <c>Usage/UsagePage</c>).</summary>
    public TableClient Usage { get; }

    /// <summary>Prices set through the admin API (see <c>Pricing/PriceStore</c>).</summary>
    public TableClient Prices { get; }

    /// <summary>Usage rolled up by key and owner, hour, day and month, and the aggregation's watermark (see <c>Billing/RollupStore</c>).</summary>
    public TableClient Rollups { get; }

    /// <summary>Budget accounts per key or owner and period, and each instance's lease on them (see <c>Quota/TableQuotaStore</c>).</summary>
    public TableClient Quotas { get; }

    /// <summary>Owner budgets set through the admin API (see <c>Quota/OwnerBudgetStore</c>).</summary>
    public TableClient Budgets { get; }

    /// <summary>
    /// The SDK client for the configured account. Its own retries are few and short (three tries within about
    /// a second): a key lookup waits on them, and the usage ledger adds its own longer backoff on top, so the
    /// two never multiply into a storm (docs/operations.md).
    /// </summary>
    public static TableServiceClient CreateServiceClient(StorageOptions options, TableClientOptions? clientOptions = null)
    {
        clientOptions ??= CreateClientOptions();
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new TableServiceClient(options.ConnectionString, clientOptions);
        }
        if (string.IsNullOrWhiteSpace(options.TableEndpoint))
        {
            throw new InvalidOperationException($"{StorageOptions.Section} needs ConnectionString or TableEndpoint.");
        }
        TokenCredential credential = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));
        return new TableServiceClient(new Uri(options.TableEndpoint), credential, clientOptions);
    }

    public static TableClientOptions CreateClientOptions()
    {
        var options = new TableClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);
        return options;
    }

    /// <summary>Worth retrying later: throttling, timeouts, server errors, or no answer at all (status 0).</summary>
    public static bool IsTransient(RequestFailedException e) => e.Status is 0 or 408 or 429 or >= 500;

    /// <summary>A failure to reach storage at all, or an answer that says try again: what callers treat as an outage.</summary>
    public static bool IsOutage(Exception e) => e switch
    {
        RequestFailedException r => IsTransient(r),
        AggregateException a => a.InnerExceptions.All(IsOutage),
        HttpRequestException or IOException or TimeoutException => true,
        OperationCanceledException => false,
        _ => false,
    };
}
