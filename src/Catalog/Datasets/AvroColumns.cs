using Mysimbdp.Avro;
using Coredms;

namespace Catalog.Datasets;

/// <summary>
/// How an Avro field becomes a coredms column. Nullable unions (["null", T]) map like T; logical types
/// map to their CQL counterparts; arrays, maps and nested records/unions are kept as JSON text (arrays of
/// primitives and maps of primitives become CQL list/map columns). timestamp-micros and -nanos stay bigint
/// so that no precision is lost (CQL timestamps are milliseconds).
/// </summary>
public static class AvroColumns
{
    public static IReadOnlyList<Column> From(RecordSchema record) =>
        record.Fields.Select(f => new Column(f.Name, TypeOf(f.Schema))).ToList();

    /// <summary>The schema a nullable union wraps, or the schema itself.</summary>
    public static Schema Unwrap(Schema schema) => schema is UnionSchema { NullableOf: { } inner } ? inner : schema;

    public static bool IsNullable(Schema schema) => schema.Kind == SchemaKind.Null || (schema is UnionSchema u && u.NullIndex >= 0);

    public static DataType TypeOf(Schema schema)
    {
        var s = Unwrap(schema);
        switch (s.LogicalType?.Name)
        {
            case LogicalType.Date: return DataType.Date;
            case LogicalType.TimeMillis or LogicalType.TimeMicros: return DataType.Time;
            case LogicalType.TimestampMillis or LogicalType.LocalTimestampMillis: return DataType.Timestamp;
            case LogicalType.Uuid: return DataType.Uuid;
            case LogicalType.Decimal or LogicalType.BigDecimal: return DataType.Decimal;
        }

        return s.Kind switch
        {
            SchemaKind.Boolean => DataType.Boolean,
            SchemaKind.Int => DataType.Int,
            SchemaKind.Long => DataType.BigInt,
            SchemaKind.Float => DataType.Float,
            SchemaKind.Double => DataType.Double,
            SchemaKind.Bytes or SchemaKind.Fixed => DataType.Blob,
            SchemaKind.Array when IsScalar(((ArraySchema)s).Items) => DataType.ListOf(TypeOf(((ArraySchema)s).Items)),
            SchemaKind.Map when IsScalar(((MapSchema)s).Values) => DataType.MapOf(DataType.Text, TypeOf(((MapSchema)s).Values)),
            _ => DataType.Text,
        };
    }

    private static bool IsScalar(Schema schema) => schema.IsPrimitive && schema.Kind != SchemaKind.Null;
}
