namespace Tollgate.Keys;

public enum KeyState
{
    Active,
    Disabled,
    Revoked,
}
