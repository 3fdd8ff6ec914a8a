using System.Text.RegularExpressions;

namespace Wrangling;

/// <summary>
/// Line-level tidying of delimited files. For every tenant: repeated header lines are dropped and a data row
/// glued onto a header line is split off. Tenant A (speed sensors): times such as 8.05.09 or 8:05:09 become
/// 08:05:09. Tenant B (reviews, TSV): a row broken over several lines is joined again, and Y/N flags become
/// true/false.
/// </summary>
public sealed partial class Wrangler(char delimiter, bool normaliseTimes, bool joinBrokenRows, bool flagsToBooleans)
{
    private int _headers;
    private int _unglued;
    private int _times;
    private int _joined;
    private int _rows;

    public static Wrangler For(string client) => client switch
    {
        "client_a" => new Wrangler(',', normaliseTimes: true, joinBrokenRows: false, flagsToBooleans: false),
        "client_b" => new Wrangler('\t', normaliseTimes: false, joinBrokenRows: true, flagsToBooleans: true),
        _ => new Wrangler(',', false, false, false),
    };

    [GeneratedRegex(@"^(\d{1,2})[.:](\d{2})[.:](\d{2})(\.\d+)?$")]
    private static partial Regex Time();

    /// <summary>Wrangles one file from <paramref name="input"/> into <paramref name="output"/>, written then renamed so that it appears complete.</summary>
    public static string WrangleFile(string client, string input, string output)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var temporary = Path.Combine(Path.GetDirectoryName(output)!, "." + Path.GetFileName(output) + ".tmp");
        string report;
        using (var reader = new StreamReader(input))
        using (var writer = new StreamWriter(temporary))
        {
            report = For(client).Wrangle(reader, writer);
        }

        File.Move(temporary, output, overwrite: true);
        return report;
    }

    public string Wrangle(TextReader reader, TextWriter writer)
    {
        var header = reader.ReadLine();
        if (header is null)
        {
            return "empty";
        }

        writer.WriteLine(header);
        var columns = header.Split(delimiter);
        var timeColumn = Array.IndexOf(columns, "time");
        var flagColumns = columns.Select((c, i) => (c, i)).Where(p => p.c is "vine" or "verified_purchase").Select(p => p.i).ToArray();
        string? pending = null;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line == header)
            {
                _headers++;
                continue;
            }

            if (line.StartsWith(header, StringComparison.Ordinal) && line.Length > header.Length)
            {
                _unglued++;
                line = line[header.Length..];
            }

            if (joinBrokenRows)
            {
                pending = pending is null ? line : pending + " " + line;
                if (pending.Split(delimiter).Length < columns.Length)
                {
                    continue;
                }

                if (pending != line)
                {
                    _joined++;
                }

                line = pending;
                pending = null;
            }

            writer.WriteLine(Tidy(line, timeColumn, flagColumns));
            _rows++;
        }

        if (pending is not null)
        {
            writer.WriteLine(pending);
            _rows++;
        }

        return $"{_rows} rows; dropped {_headers} repeated headers, split {_unglued} glued lines, normalised {_times} times, joined {_joined} broken rows";
    }

    private string Tidy(string line, int timeColumn, int[] flagColumns)
    {
        if (timeColumn < 0 && (!flagsToBooleans || flagColumns.Length == 0))
        {
            return line;
        }

        var fields = line.Split(delimiter);
        if (normaliseTimes && timeColumn >= 0 && timeColumn < fields.Length && Time().Match(fields[timeColumn]) is { Success: true } m)
        {
            var normal = $"{int.Parse(m.Groups[1].Value):D2}:{m.Groups[2].Value}:{m.Groups[3].Value}{m.Groups[4].Value}";
            if (normal != fields[timeColumn])
            {
                fields[timeColumn] = normal;
                _times++;
            }
        }

        if (flagsToBooleans)
        {
            foreach (var i in flagColumns.Where(i => i < fields.Length))
            {
                fields[i] = fields[i] switch { "Y" or "y" => "true", "N" or "n" => "false", var other => other };
            }
        }

        return string.Join(delimiter, fields);
    }
}
