namespace Tollgate.Admin;

/// <summary>POST <c>/manage/keys</c>'s answer: the key, and its secret, shown this once.</summary>
public sealed record CreatedKeyResponse(KeyResponse Key, string Secret, string Notice);
