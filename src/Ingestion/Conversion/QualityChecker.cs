using System.Globalization;
using System.Text;
using Mysimbdp.Avro;
using Catalog.Datasets;
using Coredms;

namespace Ingestion.Conversion;

/// <summary>
/// Applies a dataset's quality rules to a converted row (the one being built in a <see cref="RowBatch"/>):
/// completeness, validity (bounds, pattern, allowed values) and timeliness, in that order; the first broken
/// rule is the row's problem.
/// </summary>
public sealed class QualityChecker
{
    private readonly (int Column, string Name)[] _required;
    private readonly (int Column, string Name, ValidityRule Rule, ValueStorage Storage)[] _validity;
    private readonly (int Column, string Name, TimelinessRule Rule, long UnitsPerDay, bool IsDate)? _timeliness;
    private readonly DataClock _clock;

    public QualityChecker(Dataset dataset, DataClock clock)
    {
        _clock = clock;
        var table = dataset.Table;
        var quality = dataset.Quality;
        _required = quality.Completeness.Select(name => (table.IndexOf(name), name)).ToArray();
        _validity = quality.Validity.Select(p => (table.IndexOf(p.Key), p.Key, p.Value, table.Columns[table.IndexOf(p.Key)].Type.Storage)).ToArray();
        if (quality.Timeliness is { } t)
        {
            var logical = AvroColumns.Unwrap(dataset.Schema.GetField(t.Field)!.Schema).LogicalType!.Name;
            long unitsPerDay = logical switch
            {
                LogicalType.Date => 1,
                LogicalType.TimestampMicros or LogicalType.LocalTimestampMicros => 86_400_000_000L,
                LogicalType.TimestampNanos or LogicalType.LocalTimestampNanos => 86_400_000_000_000L,
                _ => 86_400_000L,
            };
            _timeliness = (table.IndexOf(t.Field), t.Field, t, unitsPerDay, logical == LogicalType.Date);
        }
    }

    public bool HasRules => _required.Length > 0 || _validity.Length > 0 || _timeliness is not null;

    public RowProblem? Check(RowBatch rows)
    {
        var row = rows.Count;
        foreach (var (column, name) in _required)
        {
            if (rows.IsNull(row, column) || (rows.Table.Columns[column].Type.Storage is ValueStorage.Text or ValueStorage.Blob && rows.GetBytes(row, column).IsEmpty))
            {
                return new RowProblem(name, ProblemRules.Completeness, $"completeness: '{name}' is required and has no value");
            }
        }

        foreach (var (column, name, rule, storage) in _validity)
        {
            if (rows.IsNull(row, column))
            {
                continue;
            }

            if (rule.Min is not null || rule.Max is not null)
            {
                var value = storage == ValueStorage.Double ? rows.GetDouble(row, column) : rows.GetInt64(row, column);
                if (value < rule.Min)
                {
                    return new RowProblem(name, ProblemRules.Validity, $"validity: {Number(value)} is below the minimum {Number(rule.Min.Value)}");
                }

                if (value > rule.Max)
                {
                    return new RowProblem(name, ProblemRules.Validity, $"validity: {Number(value)} is above the maximum {Number(rule.Max.Value)}");
                }
            }

            if (rule.Pattern is null && rule.Allowed is null)
            {
                continue;
            }

            var text = storage switch
            {
                ValueStorage.Double => Number(rows.GetDouble(row, column)),
                ValueStorage.Int64 => rows.GetInt64(row, column).ToString(CultureInfo.InvariantCulture),
                _ => Encoding.UTF8.GetString(rows.GetBytes(row, column)),
            };
            if (rule.Pattern is { } pattern && !pattern.IsMatch(text))
            {
                return new RowProblem(name, ProblemRules.Validity, $"validity: '{text}' does not match the pattern {pattern}");
            }

            if (rule.Allowed is { } allowed && !allowed.Contains(text))
            {
                return new RowProblem(name, ProblemRules.Validity, $"validity: '{text}' is not one of the allowed values ({string.Join(", ", allowed.Take(10))})");
            }
        }

        if (_timeliness is var (tColumn, tName, tRule, unitsPerDay, isDate) && !rows.IsNull(row, tColumn))
        {
            var now = _clock.GetUtcNow();
            var value = rows.GetInt64(row, tColumn);
            var nowUnits = isDate
                ? DateOnly.FromDateTime(now.UtcDateTime).DayNumber - new DateOnly(1970, 1, 1).DayNumber
                : (long)((now - DateTimeOffset.UnixEpoch).TotalDays * unitsPerDay);
            var age = (nowUnits - value) / (double)unitsPerDay;
            if (age > tRule.MaxAge.TotalDays)
            {
                return new RowProblem(tName, ProblemRules.Timeliness, $"timeliness: the value is {age:F1} days old; at most {tRule.MaxAge.TotalDays:G} days are accepted");
            }

            if (!isDate && -age > tRule.MaxFuture.TotalDays)
            {
                return new RowProblem(tName, ProblemRules.Timeliness, $"timeliness: the value is {-age * 24 * 60:F0} minutes in the future; at most {tRule.MaxFuture.TotalMinutes:G} are accepted");
            }
        }

        return null;
    }

    private static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
