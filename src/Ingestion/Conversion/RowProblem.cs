namespace Ingestion.Conversion;

/// <summary>
/// Why a row was quarantined: the column (empty for whole-line problems), a stable rule code that reports
/// can group by, and a message for people.
/// </summary>
public readonly record struct RowProblem(string Column, string Rule, string Message)
{
    public static RowProblem Line(string rule, string message) => new("", rule, message);
}

/// <summary>The rule codes quarantined rows carry.</summary>
public static class ProblemRules
{
    public const string FieldCount = "field_count";
    public const string GluedHeader = "glued_header";
    public const string UnterminatedQuote = "unterminated_quote";
    public const string TooLong = "line_too_long";
    public const string Encoding = "encoding";
    public const string NotNullable = "not_nullable";
    public const string Range = "type_range";
    public const string Type = "type";
    public const string Completeness = "completeness";
    public const string Validity = "validity";
    public const string Timeliness = "timeliness";
}
