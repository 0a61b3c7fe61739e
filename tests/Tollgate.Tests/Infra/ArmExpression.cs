using System.Globalization;

namespace Tollgate.Tests.Infra;

/// <summary>
/// A parsed ARM template language expression: the text of a JSON string value between its '[' and ']'
/// (<c>concat(parameters('a'), 'b').c[0]</c>). Only the grammar Bicep emits: calls, single-quoted strings,
/// integers, member access and indexing.
/// </summary>
internal abstract record ArmExpr
{
    public static ArmExpr Parse(string text) => new Parser(text).ParseAll();

    private sealed class Parser(string text)
    {
        private int _pos;

        public ArmExpr ParseAll()
        {
            var expr = ParseExpr();
            SkipSpace();
            if (_pos != text.Length)
            {
                throw Error("unexpected text");
            }
            return expr;
        }

        private ArmExpr ParseExpr()
        {
            SkipSpace();
            var expr = ParsePrimary();
            while (true)
            {
                SkipSpace();
                if (TryTake('.'))
                {
                    expr = new ArmMember(expr, ReadIdentifier());
                }
                else if (TryTake('['))
                {
                    var index = ParseExpr();
                    SkipSpace();
                    Expect(']');
                    expr = new ArmIndex(expr, index);
                }
                else
                {
                    return expr;
                }
            }
        }

        private ArmExpr ParsePrimary()
        {
            if (_pos >= text.Length)
            {
                throw Error("expression ends early");
            }
            var c = text[_pos];
            if (c == '\'')
            {
                return new ArmLiteral(ReadString());
            }
            if (char.IsAsciiDigit(c) || c == '-')
            {
                return new ArmLiteral(ReadInteger());
            }
            var name = ReadIdentifier();
            SkipSpace();
            Expect('(');
            var args = new List<ArmExpr>();
            SkipSpace();
            if (!TryTake(')'))
            {
                do
                {
                    args.Add(ParseExpr());
                    SkipSpace();
                }
                while (TryTake(','));
                Expect(')');
            }
            return new ArmCall(name, args);
        }

        private string ReadString()
        {
            Expect('\'');
            var sb = new System.Text.StringBuilder();
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw Error("unterminated string");
                }
                var c = text[_pos++];
                if (c != '\'')
                {
                    sb.Append(c);
                }
                else if (_pos < text.Length && text[_pos] == '\'')
                {
                    sb.Append('\'');
                    _pos++;
                }
                else
                {
                    return sb.ToString();
                }
            }
        }

        private long ReadInteger()
        {
            var start = _pos;
            if (text[_pos] == '-')
            {
                _pos++;
            }
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }
            return long.Parse(text.AsSpan(start, _pos - start), CultureInfo.InvariantCulture);
        }

        private string ReadIdentifier()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '_' or '$'))
            {
                _pos++;
            }
            if (_pos == start)
            {
                throw Error("identifier expected");
            }
            return text[start.._pos];
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private bool TryTake(char c)
        {
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryTake(c))
            {
                throw Error($"'{c}' expected");
            }
        }

        private FormatException Error(string what) => new($"ARM expression: {what} at {_pos} in [{text}]");
    }
}

internal sealed record ArmLiteral(object? Value) : ArmExpr;

internal sealed record ArmCall(string Name, IReadOnlyList<ArmExpr> Args) : ArmExpr;

internal sealed record ArmMember(ArmExpr Target, string Name) : ArmExpr;

internal sealed record ArmIndex(ArmExpr Target, ArmExpr Index) : ArmExpr;
