namespace Catalog.Validation;

/// <summary>
/// Rule names reported with validation errors (the <c>rule</c> of each problem+json error), so that
/// scripts can react to a kind of problem without parsing messages.
/// </summary>
public static class Rules
{
    public const string Required = "required";
    public const string Type = "type";
    public const string UnknownProperty = "unknown_property";
    public const string PositiveInteger = "positive_integer";
    public const string Range = "range";
    public const string OneOf = "one_of";
    public const string Identifier = "identifier";
    public const string AvroSchema = "avro_schema";
    public const string AvroRecord = "avro_record";
    public const string PrimaryKey = "primary_key";
    public const string UniqueColumns = "unique_column_names";
    public const string ReservedName = "reserved_name";
    public const string FieldReference = "field_reference";
    public const string Cron = "cron";
    public const string CpuQuantity = "kubernetes_cpu_quantity";
    public const string MemoryQuantity = "kubernetes_memory_quantity";
    public const string RequestsWithinLimits = "requests_within_limits";
    public const string Matches = "matches";
    public const string Pattern = "pattern";
    public const string Format = "format";
}
