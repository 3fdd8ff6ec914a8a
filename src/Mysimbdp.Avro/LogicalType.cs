namespace Mysimbdp.Avro;

/// <summary>
/// A logical type from the specification ("Logical Types"). Only valid annotations become a
/// <see cref="LogicalType"/>; the parser ignores invalid or unknown ones when reading data, as the
/// specification requires, and reports them when asked to be strict.
/// </summary>
public sealed record LogicalType(string Name, int Precision = 0, int Scale = 0)
{
    public const string Decimal = "decimal";
    public const string BigDecimal = "big-decimal";
    public const string Uuid = "uuid";
    public const string Date = "date";
    public const string TimeMillis = "time-millis";
    public const string TimeMicros = "time-micros";
    public const string TimestampMillis = "timestamp-millis";
    public const string TimestampMicros = "timestamp-micros";
    public const string TimestampNanos = "timestamp-nanos";
    public const string LocalTimestampMillis = "local-timestamp-millis";
    public const string LocalTimestampMicros = "local-timestamp-micros";
    public const string LocalTimestampNanos = "local-timestamp-nanos";
    public const string Duration = "duration";

    /// <summary>Which underlying kinds each logical type may annotate.</summary>
    internal static bool Annotates(string name, SchemaKind kind, int fixedSize) => name switch
    {
        Decimal => kind is SchemaKind.Bytes or SchemaKind.Fixed,
        BigDecimal => kind is SchemaKind.Bytes,
        Uuid => kind is SchemaKind.String || (kind is SchemaKind.Fixed && fixedSize == 16),
        Date or TimeMillis => kind is SchemaKind.Int,
        TimeMicros or TimestampMillis or TimestampMicros or TimestampNanos
            or LocalTimestampMillis or LocalTimestampMicros or LocalTimestampNanos => kind is SchemaKind.Long,
        Duration => kind is SchemaKind.Fixed && fixedSize == 12,
        _ => false,
    };

    internal static bool IsKnown(string name) => name is Decimal or BigDecimal or Uuid or Date or TimeMillis or TimeMicros
        or TimestampMillis or TimestampMicros or TimestampNanos or LocalTimestampMillis or LocalTimestampMicros
        or LocalTimestampNanos or Duration;

    internal static string Expected(string name) => name switch
    {
        Decimal => "bytes or fixed",
        BigDecimal => "bytes",
        Uuid => "string or fixed of size 16",
        Date or TimeMillis => "int",
        Duration => "fixed of size 12",
        _ => "long",
    };

    /// <summary>The largest precision a two's-complement fixed of <paramref name="size"/> bytes can hold.</summary>
    internal static int MaxDecimalPrecision(int size) =>
        size <= 0 ? 0 : (int)Math.Floor(((8.0 * size) - 1) * Math.Log10(2)); // log10(2^k - 1) floors like k·log10(2): 2^k is never a power of 10
}
