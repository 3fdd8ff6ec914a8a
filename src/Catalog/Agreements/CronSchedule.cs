using System.Globalization;

namespace Catalog.Agreements;

/// <summary>
/// A classic 5-field cron expression (minute hour day-of-month month day-of-week), with lists, ranges,
/// steps, month and weekday names, and the @hourly/@daily/@weekly/@monthly/@yearly shorthands, and its
/// translation to Quartz's 6-field form (seconds first, '?' in one of the two day fields, weekdays 1-7
/// from Sunday).
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly (string Name, int Min, int Max, string[]? Names, int NameBase)[] Fields =
    [
        ("minute", 0, 59, null, 0),
        ("hour", 0, 23, null, 0),
        ("day of month", 1, 31, null, 0),
        ("month", 1, 12, MonthNames, 1),
        ("day of week", 0, 7, DayNames, 0),
    ];

    private readonly SortedSet<int>[] _values;

    private CronSchedule(string expression, SortedSet<int>[] values)
    {
        Expression = expression;
        _values = values;
    }

    public string Expression { get; }

    public static bool TryParse(string? text, out CronSchedule? schedule, out string error)
    {
        schedule = null;
        var expression = (text ?? "").Trim();
        var expanded = expression switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ => expression,
        };

        var parts = expanded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            error = $"'{expression}' has {parts.Length} fields; a schedule has 5: minute hour day-of-month month day-of-week (for example '*/15 * * * *')";
            return false;
        }

        var values = new SortedSet<int>[5];
        for (var i = 0; i < 5; i++)
        {
            if (!TryParseField(parts[i], Fields[i], out values[i], out error))
            {
                error = $"'{expression}': {Fields[i].Name} field '{parts[i]}': {error}";
                return false;
            }
        }

        if (values[4].Remove(7))
        {
            values[4].Add(0);
        }

        var schedule0 = new CronSchedule(expression, values);
        if (!schedule0.DayOfMonthIsEvery && !schedule0.DayOfWeekIsEvery)
        {
            error = $"'{expression}' restricts both day of month and day of week; cron runs when either matches, which Quartz cannot express: restrict only one of them";
            return false;
        }

        schedule = schedule0;
        error = "";
        return true;
    }

    private bool DayOfMonthIsEvery => _values[2].Count == 31;

    private bool DayOfWeekIsEvery => _values[4].Count == 7;

    /// <summary>The equivalent Quartz cron expression (fires at second 0).</summary>
    public string ToQuartz()
    {
        var dayOfMonth = DayOfMonthIsEvery ? (DayOfWeekIsEvery ? "*" : "?") : Render(_values[2], 1, 31, v => v);
        var dayOfWeek = DayOfMonthIsEvery && !DayOfWeekIsEvery ? Render(_values[4], 0, 6, v => v + 1) : "?";
        return string.Join(' ', "0", Render(_values[0], 0, 59, v => v), Render(_values[1], 0, 23, v => v), dayOfMonth,
            Render(_values[3], 1, 12, v => v), dayOfWeek);
    }

    private static string Render(SortedSet<int> values, int min, int max, Func<int, int> map) =>
        values.Count == max - min + 1 ? "*" : string.Join(',', values.Select(v => map(v).ToString(CultureInfo.InvariantCulture)));

    private static bool TryParseField(string field, (string Name, int Min, int Max, string[]? Names, int NameBase) spec,
        out SortedSet<int> values, out string error)
    {
        values = [];
        foreach (var item in field.Split(','))
        {
            var step = 1;
            var range = item;
            var slash = item.IndexOf('/');
            if (slash >= 0)
            {
                if (!int.TryParse(item[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    error = $"step '{item[(slash + 1)..]}' must be a positive integer";
                    return false;
                }

                range = item[..slash];
            }

            int low, high;
            if (range == "*")
            {
                (low, high) = (spec.Min, spec.Max);
            }
            else
            {
                var dash = range.IndexOf('-', 1);
                if (!TryValue(dash < 0 ? range : range[..dash], spec, out low, out error))
                {
                    return false;
                }

                if (dash >= 0)
                {
                    if (!TryValue(range[(dash + 1)..], spec, out high, out error))
                    {
                        return false;
                    }

                    if (high < low)
                    {
                        error = $"range '{range}' goes backwards";
                        return false;
                    }
                }
                else
                {
                    high = slash >= 0 ? spec.Max : low;
                }
            }

            for (var v = low; v <= high; v += step)
            {
                values.Add(v);
            }
        }

        error = "";
        return true;
    }

    private static bool TryValue(string text, (string Name, int Min, int Max, string[]? Names, int NameBase) spec, out int value, out string error)
    {
        error = "";
        if (spec.Names is not null)
        {
            var index = Array.FindIndex(spec.Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                value = index + spec.NameBase;
                return true;
            }
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = spec.Names is null ? $"'{text}' is not a number" : $"'{text}' is not a number or a name ({string.Join(", ", spec.Names)})";
            return false;
        }

        if (value < spec.Min || value > spec.Max)
        {
            error = $"{value} is outside {spec.Min}-{spec.Max}";
            return false;
        }

        return true;
    }
}
