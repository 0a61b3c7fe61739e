using Tollgate.Keys;

namespace Tollgate.Tests.Keys;

/// <summary>
/// The limits an administrator or configuration may give a key or owner (RELIABILITY #40): bounded so that no sum of
/// spend, holds and worst cases leaves the range of its type.
/// </summary>
public sealed class KeyValidationTests
{
    [Fact]
    public void LimitsAnAdminOrConfigurationMaySet_AreBoundedSoNoSumLeavesItsRange()
    {
        Assert.NotNull(new Budget { Amount = Budget.MaxLimit + 1 }.Problem());
        Assert.NotNull(new Budget { Tokens = Budget.MaxLimit + 1 }.Problem());
        Assert.NotNull(new Budget { Tokens = long.MaxValue }.Problem());
        Assert.Null(new Budget { Amount = Budget.MaxLimit, Tokens = Budget.MaxLimit }.Problem());
        var tooMany = Assert.Throws<KeyAdministrationException>(() => KeyValidation.ValidateLimits(ApiKey.MaxPerMinute + 1, null, null));
        Assert.Equal(KeyAdministrationError.InvalidLimit, tooMany.Error);
        KeyValidation.ValidateLimits(ApiKey.MaxPerMinute, ApiKey.MaxPerMinute, null);
    }
}
