using System.Globalization;
using System.Text;

namespace Tollgate.Tests.Fuzz;

/// <summary>
/// Generates chat-completion bodies a hostile or broken client might send, from one seed: valid requests with every
/// documented field given right or wrong types, strings with escapes and lone or paired surrogates, numbers at and past
/// every edge, deep and wide nesting, huge strings, duplicate keys, truncated and byte-flipped JSON, invalid UTF-8 and
/// plain noise. The same seed gives the same bodies.
/// </summary>
internal sealed class ChatBodyFuzzer(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>Models the test gateway serves (with and without reported usage), and some it does not.</summary>
    private static readonly string[] Models = ["gpt-test", "gpt-test", "gpt-tools", "gpt-reasoning", "gpt-nousage", "gpt-split", "no-such-model", "", "GPT-TEST", "gpt-test\u0000"];

    /// <summary>The request fields OpenAI's spec and the provider docs name.</summary>
    private static readonly string[] Fields =
    [
        "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
        "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "tools", "tool_choice", "response_format", "seed",
        "parallel_tool_calls", "functions", "function_call", "modalities", "audio", "reasoning_effort", "metadata", "store",
        "service_tier", "prediction", "web_search_options", "top_k", "thinking", "safety_identifier", "prompt_cache_key", "verbosity",
    ];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "2", "0.5", "1.0", "1E2", "128", "129", "20", "21", "1e308", "-1e308", "1e-400", "1e400",
        "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "4611686018427387904", "3074457345618258603", "123456789012345678901234567890123456789", "0.0000000000000000000001",
    ];

    private static readonly string[] Pieces =
    [
        "hello", "Hello, world!", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b\\f\\r", "\\u0000", "\\u001f", "\\u00e9", "é", "日本語", "😀",
        "\\ud83d\\ude00", "\\ud800", "\\udfff", "\\ude00\\ud83d", "\\ud800\\ud800", "\\uDBFF\\uDFFF", "\\uFFFF", "\\uFEFF", "\u2028",
        "<|endoftext|>", "<|im_start|>", "{\\\"a\\\":1}", "data: [DONE]\\n\\n", "'; DROP TABLE usage; --", "%2F..%2F", "\\u0022",
    ];

    public byte[] Next() => _random.Next(20) switch
    {
        0 => Noise(),
        1 => Truncated(Valid()),
        2 => Flipped(Valid()),
        3 => Deep(),
        4 => Wide(),
        5 => Encode(Value(0)),
        _ => Valid(),
    };

    /// <summary>A request shaped like a real one, with a few fields given at random, right or wrong.</summary>
    private byte[] Valid()
    {
        var json = new StringBuilder("{");
        var members = new List<string>();
        if (_random.Next(20) != 0)
        {
            members.Add("\"model\":" + (_random.Next(15) == 0 ? Value(0) : Quote(Models[_random.Next(Models.Length)])));
        }
        if (_random.Next(20) != 0)
        {
            members.Add("\"messages\":" + (_random.Next(15) == 0 ? Value(0) : Messages()));
        }
        var fields = _random.Next(5);
        for (var i = 0; i < fields; i++)
        {
            var field = Fields[_random.Next(Fields.Length)];
            members.Add(Quote(field) + ":" + FieldValue(field));
        }
        if (_random.Next(30) == 0 && members.Count > 0)
        {
            members.Add(members[_random.Next(members.Count)]); // a duplicate key
        }
        Shuffle(members);
        json.AppendJoin(',', members).Append('}');
        return Encode(json.ToString());
    }

    private string Messages()
    {
        var count = _random.Next(8) == 0 ? _random.Next(0, 200) : _random.Next(1, 5);
        var items = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var members = new List<string>
            {
                "\"role\":" + (_random.Next(10) == 0 ? Value(1) : Quote(new[] { "user", "system", "assistant", "developer", "tool", "function", "robot" }[_random.Next(7)])),
            };
            if (_random.Next(10) != 0)
            {
                members.Add("\"content\":" + Content());
            }
            if (_random.Next(6) == 0)
            {
                members.Add("\"name\":" + (_random.Next(4) == 0 ? Value(1) : Text()));
            }
            if (_random.Next(8) == 0)
            {
                members.Add("\"tool_calls\":" + (_random.Next(4) == 0 ? Value(1)
                    : $"[{{\"id\":{Text()},\"type\":\"function\",\"function\":{{\"name\":{Text()},\"arguments\":{Text()}}}}}]"));
            }
            if (_random.Next(10) == 0)
            {
                members.Add("\"tool_call_id\":" + Text());
            }
            Shuffle(members);
            items.Add("{" + string.Join(',', members) + "}");
        }
        return "[" + string.Join(',', items) + "]";
    }

    private string Content() => _random.Next(8) switch
    {
        0 => "null",
        1 => Value(1),
        2 => "[" + string.Join(',', Enumerable.Range(0, _random.Next(0, 4)).Select(_ => _random.Next(3) switch
        {
            0 => "{\"type\":\"text\",\"text\":" + Text() + "}",
            1 => "{\"type\":\"image_url\",\"image_url\":{\"url\":" + Text() + "}}",
            _ => Value(2),
        })) + "]",
        _ => Text(),
    };

    /// <summary>A value for a documented field: usually of its type, sometimes of another.</summary>
    private string FieldValue(string field)
    {
        if (_random.Next(3) == 0)
        {
            return Value(1);
        }
        return field switch
        {
            "stream" or "logprobs" or "parallel_tool_calls" or "store" => _random.Next(2) == 0 ? "true" : "false",
            "stream_options" => "{\"include_usage\":" + (_random.Next(3) == 0 ? Value(2) : "true") + "}",
            "stop" => _random.Next(2) == 0 ? Text() : "[" + Text() + "," + Text() + "]",
            "user" or "reasoning_effort" or "service_tier" or "tool_choice" or "function_call" or "verbosity" or "safety_identifier" or "prompt_cache_key" => Text(),
            "tools" or "functions" => "[" + string.Join(',', Enumerable.Range(0, _random.Next(0, 4)).Select(_ =>
                "{\"type\":\"function\",\"function\":{\"name\":" + Text() + ",\"parameters\":" + Value(2) + "}}")) + "]",
            "logit_bias" or "metadata" or "response_format" or "audio" or "prediction" or "web_search_options" or "thinking" =>
                "{" + Text() + ":" + Value(2) + "}",
            "modalities" => "[\"text\"," + Text() + "]",
            _ => Numbers[_random.Next(Numbers.Length)],
        };
    }

    /// <summary>Any JSON value, nesting to at most a few levels below <paramref name="depth"/>.</summary>
    private string Value(int depth) => _random.Next(depth > 3 ? 4 : 7) switch
    {
        0 => Text(),
        1 => Numbers[_random.Next(Numbers.Length)],
        2 => _random.Next(2) == 0 ? "true" : "false",
        3 => "null",
        4 => "[" + string.Join(',', Enumerable.Range(0, _random.Next(0, 4)).Select(_ => Value(depth + 1))) + "]",
        _ => "{" + string.Join(',', Enumerable.Range(0, _random.Next(0, 4)).Select(i => Quote("k" + i) + ":" + Value(depth + 1))) + "}",
    };

    /// <summary>A JSON string of pieces: plain text, escapes, surrogates (paired, lone, reversed), and now and then a long run.</summary>
    private string Text()
    {
        var text = new StringBuilder("\"");
        var pieces = _random.Next(0, 6);
        for (var i = 0; i < pieces; i++)
        {
            text.Append(Pieces[_random.Next(Pieces.Length)]);
        }
        switch (_random.Next(60))
        {
            case 0:
                text.Append('a', _random.Next(1, 50_000));
                break;
            case 1:
                text.Append('7', _random.Next(1, 20_000));
                break;
            case 2:
                text.Insert(1, string.Concat(Enumerable.Repeat("x ", _random.Next(1, 20_000))));
                break;
            case 3:
                text.Append('\u4e00', _random.Next(1, 10_000));
                break;
        }
        return text.Append('"').ToString();
    }

    private byte[] Deep()
    {
        var depth = _random.Next(2) == 0 ? _random.Next(60, 300) : _random.Next(1_000, 12_000);
        var open = _random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var where = _random.Next(3) switch
        {
            0 => "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"metadata\":" + nested + "}",
            1 => "{\"model\":\"gpt-test\",\"messages\":" + nested + "}",
            _ => nested,
        };
        return Encode(where);
    }

    private byte[] Wide()
    {
        var count = _random.Next(1_000, 20_000);
        var body = _random.Next(3) switch
        {
            0 => "{\"model\":\"gpt-test\",\"messages\":[" + string.Join(',', Enumerable.Repeat("{\"role\":\"user\",\"content\":\"hi\"}", count)) + "]}",
            1 => "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + string.Join(',', Enumerable.Range(0, count).Select(i => $"\"x{i}\":{i}")) + "}",
            _ => "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{" + string.Join(',', Enumerable.Range(0, count).Select(i => $"\"{i}\":-100")) + "}}",
        };
        return Encode(body);
    }

    private byte[] Truncated(byte[] body) => body.Length < 2 ? body : body[.._random.Next(1, body.Length)];

    private byte[] Flipped(byte[] body)
    {
        var flips = _random.Next(1, 4);
        for (var i = 0; i < flips && body.Length > 0; i++)
        {
            body[_random.Next(body.Length)] = (byte)_random.Next(256);
        }
        return body;
    }

    private byte[] Noise()
    {
        var noise = new byte[_random.Next(0, 2_000)];
        _random.NextBytes(noise);
        if (noise.Length > 0 && _random.Next(2) == 0)
        {
            noise[0] = (byte)'{';
        }
        return noise;
    }

    private void Shuffle(List<string> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\u0000", "\\u0000", StringComparison.Ordinal) + "\"";

    /// <summary>UTF-8, except that now and then a byte that is not UTF-8 is slipped in.</summary>
    private byte[] Encode(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (_random.Next(40) == 0 && bytes.Length > 2)
        {
            bytes[_random.Next(1, bytes.Length - 1)] = (byte)(0x80 + _random.Next(0x7f));
        }
        return bytes;
    }

    public static string Describe(byte[] body) =>
        body.Length.ToString(CultureInfo.InvariantCulture) + " bytes: " + Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)));
}
