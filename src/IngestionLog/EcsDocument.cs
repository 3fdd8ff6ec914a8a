using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Serilog.Events;

namespace IngestionLog;

/// <summary>
/// A log event as an Elastic Common Schema document, the one shape every sink ships: <c>@timestamp</c>,
/// <c>log.level</c>, <c>log.logger</c>, <c>message</c>, <c>event.action</c>, <c>event.duration</c> (ns, from an
/// <c>{EventDuration}</c> in ms),
/// <c>tenant.id</c>, <c>dataset</c>, <c>file.id</c>, <c>file.name</c>, <c>file.size</c>, <c>run.id</c>,
/// <c>error.message</c>, <c>error.type</c>, <c>service.name</c>; other named properties go under
/// <c>mysimbdp.*</c> in snake_case (<c>mysimbdp.rows_loaded</c>). Field names are stable: dashboards and the
/// admin API rely on them.
/// </summary>
public sealed record EcsDocument(DateTimeOffset Timestamp, string Level, string? Action, string? Tenant, string? Dataset, string? FileId,
    string? RunId, string Message, byte[] Json)
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["EventAction"] = "event.action",
        ["TenantId"] = "tenant.id",
        ["Dataset"] = "dataset",
        ["FileId"] = "file.id",
        ["FileName"] = "file.name",
        ["Bytes"] = "file.size",
        ["RunId"] = "run.id",
        ["ErrorMessage"] = "error.message",
        ["SourceContext"] = "log.logger",
    };

    public static string LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "trace",
        LogEventLevel.Debug => "debug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "warn",
        LogEventLevel.Error => "error",
        _ => "fatal",
    };

    private static readonly Serilog.Formatting.Display.MessageTemplateTextFormatter Literal = new("{Message:l}", CultureInfo.InvariantCulture);

    /// <summary>The message with its values as they are (Serilog's default rendering quotes strings).</summary>
    private static string Render(LogEvent e)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Literal.Format(e, text);
        return text.ToString();
    }

    public static EcsDocument From(LogEvent e, string service)
    {
        var message = Render(e);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("@timestamp", e.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("log.level", LevelName(e.Level));
            w.WriteString("message", message);
            w.WriteString("service.name", service);
            w.WriteString("ecs.version", "8.11");
            foreach (var (name, value) in e.Properties)
            {
                if (name == "EventDuration" && value is ScalarValue { Value: IConvertible ms })
                {
                    w.WriteNumber("event.duration", (long)(ms.ToDouble(CultureInfo.InvariantCulture) * 1_000_000));
                }
                else if (name == "ErrorMessage" && value is ScalarValue { Value: null or "" })
                {
                    continue;
                }
                else
                {
                    w.WritePropertyName(Fields.TryGetValue(name, out var field) ? field : "mysimbdp." + SnakeCase(name));
                    Write(w, value);
                }
            }

            if (e.Exception is { } exception)
            {
                if (!e.Properties.ContainsKey("ErrorMessage"))
                {
                    w.WriteString("error.message", exception.Message);
                }

                w.WriteString("error.type", exception.GetType().FullName);
                w.WriteString("error.stack_trace", exception.ToString());
            }

            w.WriteEndObject();
        }

        return new EcsDocument(e.Timestamp, LevelName(e.Level), Text(e, "EventAction"), Text(e, "TenantId"), Text(e, "Dataset"), Text(e, "FileId"),
            Text(e, "RunId"), message, buffer.WrittenSpan.ToArray());
    }

    private static string? Text(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) && value is ScalarValue { Value: { } v } ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static void Write(Utf8JsonWriter w, LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null }: w.WriteNullValue(); break;
            case ScalarValue { Value: bool b }: w.WriteBooleanValue(b); break;
            case ScalarValue { Value: int or long or short or byte or uint or ulong or ushort or sbyte } s:
                w.WriteNumberValue(Convert.ToInt64(s.Value, CultureInfo.InvariantCulture)); break;
            case ScalarValue { Value: double or float or decimal } s:
                w.WriteNumberValue(Convert.ToDouble(s.Value, CultureInfo.InvariantCulture)); break;
            case ScalarValue { Value: DateTimeOffset t }: w.WriteStringValue(t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)); break;
            case ScalarValue { Value: TimeSpan t }: w.WriteNumberValue(t.TotalMilliseconds); break;
            case ScalarValue s: w.WriteStringValue(Convert.ToString(s.Value, CultureInfo.InvariantCulture)); break;
            case SequenceValue seq:
                w.WriteStartArray();
                foreach (var item in seq.Elements)
                {
                    Write(w, item);
                }

                w.WriteEndArray();
                break;
            default: w.WriteStringValue(value.ToString()); break;
        }
    }

    private static string SnakeCase(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
