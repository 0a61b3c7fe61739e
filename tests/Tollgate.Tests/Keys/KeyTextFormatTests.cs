using Tollgate.Keys;

namespace Tollgate.Tests.Keys;

public sealed class KeyTextFormatTests
{
    // A well-formed key: "tg-", 16 lowercase hex digits, "-", 43 base64url characters (32 bytes).
    private const string Valid = "tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg";

    [Fact]
    public void Generate_ThenParse_GivesBackTheId()
    {
        var (id, text) = KeyTextFormat.Generate();

        Assert.Equal(KeyTextFormat.Length, text.Length);
        Assert.StartsWith(KeyTextFormat.DisplayPrefix(id) + "-", text, StringComparison.Ordinal);
        Assert.True(KeyTextFormat.TryParse(text, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Fact]
    public void Generate_GivesDifferentIdsAndSecrets()
    {
        var first = KeyTextFormat.Generate();
        var second = KeyTextFormat.Generate();

        Assert.NotEqual(first.Id, second.Id);
        Assert.NotEqual(first.Text[^KeyTextFormat.SecretLength..], second.Text[^KeyTextFormat.SecretLength..]);
    }

    [Fact]
    public void DisplayPrefix_IsThePrefixAndId()
    {
        Assert.Equal("tg-0123456789abcdef", KeyTextFormat.DisplayPrefix("0123456789abcdef"));
    }

    [Fact]
    public void TryParse_AcceptsAWellFormedKey()
    {
        Assert.True(KeyTextFormat.TryParse(Valid, out var id));
        Assert.Equal("0123456789abcdef", id);
    }

    [Theory]
    [InlineData("sk-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")] // another vendor's prefix
    [InlineData("TG-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")] // prefix is case-sensitive
    [InlineData("tg_0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")]
    [InlineData("0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8PgXXX")] // no prefix, same length
    public void TryParse_RejectsAWrongPrefix(string text)
    {
        Assert.False(KeyTextFormat.TryParse(text, out var id));
        Assert.Equal("", id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tg-")]
    [InlineData("tg-0123456789abcdef")]
    [InlineData("tg-0123456789abcdef-")]
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8P")] // secret one short
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8PgA")] // secret one long
    [InlineData("tg-0123456789abcde-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8PgA")] // id one short, same total
    [InlineData("tg-0123456789abcdef0-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8P")] // id one long, same total
    public void TryParse_RejectsAWrongLength(string text)
    {
        Assert.False(KeyTextFormat.TryParse(text, out _));
    }

    [Theory]
    [InlineData("tg-0123456789ABCDEF-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")] // id must be lowercase hex
    [InlineData("tg-0123456789abcdeg-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")] // 'g' is not hex
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8+n")] // '+' is base64, not base64url
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8/n")] // '/' likewise
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8P=")] // no padding
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8 n")] // no spaces
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pé")] // ASCII only
    [InlineData("tg-0123456789abcdef-AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Ph")] // 'h' sets bits past the 256
    [InlineData("tg-0123456789abcdef_AAgQGCAoMDhASFBYYGhweICIkJigqLC4wMjQ2ODo8Pg")] // '-' between id and secret
    public void TryParse_RejectsWrongCharacters(string text)
    {
        Assert.False(KeyTextFormat.TryParse(text, out _));
    }
}
