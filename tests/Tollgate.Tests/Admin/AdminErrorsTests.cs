using Tollgate.Admin;
using Tollgate.Keys;

namespace Tollgate.Tests.Admin;

public sealed class AdminErrorsTests
{
    [Theory]
    [InlineData(KeyAdministrationError.NotFound, 404, "key_not_found")]
    [InlineData(KeyAdministrationError.Revoked, 409, "key_revoked")]
    [InlineData(KeyAdministrationError.TooManyActiveKeys, 409, "too_many_active_keys")]
    [InlineData(KeyAdministrationError.InvalidName, 400, "invalid_name")]
    [InlineData(KeyAdministrationError.InvalidOwner, 400, "invalid_owner")]
    [InlineData(KeyAdministrationError.InvalidLimit, 422, "invalid_limit")]
    public void DomainError_MapsToItsStatusAndCode_KeepingTheMessage(KeyAdministrationError domain, int status, string code)
    {
        var error = AdminErrors.From(new KeyAdministrationException(domain, "what went wrong"));

        Assert.Equal((status, "invalid_request_error", code, "what went wrong"), (error.Status, error.Type, error.Code, error.Message));
    }

    [Fact]
    public void EveryDomainError_HasAClientErrorStatus()
    {
        foreach (var domain in Enum.GetValues<KeyAdministrationError>())
        {
            Assert.InRange(AdminErrors.From(new KeyAdministrationException(domain, "m")).Status, 400, 499);
        }
    }

    [Fact]
    public void KeyNotFound_ShortensALongId()
    {
        var error = AdminErrors.KeyNotFound(new string('a', 500));

        Assert.Equal((404, "key_not_found"), (error.Status, error.Code));
        Assert.True(error.Message.Length < 100, error.Message);
    }
}
