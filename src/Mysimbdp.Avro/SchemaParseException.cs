namespace Mysimbdp.Avro;

/// <summary>One problem in a schema: where (a JSON path relative to the schema's root) and why.</summary>
public sealed record SchemaError(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>Thrown when a schema is not valid; carries every problem found, not just the first.</summary>
public sealed class SchemaParseException : Exception
{
    public SchemaParseException(IReadOnlyList<SchemaError> errors)
        : base("Invalid Avro schema: " + string.Join("; ", errors))
    {
        Errors = errors;
    }

    public SchemaParseException()
        : this([])
    {
    }

    public SchemaParseException(string message)
        : this([new SchemaError("", message)])
    {
    }

    public SchemaParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new SchemaError("", message)];
    }

    public IReadOnlyList<SchemaError> Errors { get; }
}

/// <summary>How strictly to parse.</summary>
/// <param name="Strict">
/// Report unknown or misplaced logical types and a non-name <c>type</c> attribute as errors. Off when
/// reading data, where the specification says such annotations are ignored; on when a tenant registers a schema.
/// </param>
/// <param name="Limits">Bounds on the schema's size, for schemas from people who should not be able to exhaust the parser.</param>
public sealed record SchemaParseOptions(bool Strict, SchemaLimits? Limits = null)
{
    public static readonly SchemaParseOptions Lenient = new(false);
    public static readonly SchemaParseOptions StrictOptions = new(true);
}

/// <summary>
/// Bounds a schema must keep: each one passed is an error naming the limit, and the parser does not descend
/// past it, so parsing stays linear in the input whatever the input.
/// </summary>
/// <param name="MaxDepth">Schemas nested inside one another (a record's field's array's items...).</param>
/// <param name="MaxTypes">Schemas in all (every type written, including primitives and references).</param>
/// <param name="MaxFields">Fields in one record.</param>
/// <param name="MaxSymbols">Symbols in one enum.</param>
/// <param name="MaxNameLength">Characters in a name, namespace, field name or symbol.</param>
public sealed record SchemaLimits(int MaxDepth = 32, int MaxTypes = 10_000, int MaxFields = 1_000, int MaxSymbols = 10_000, int MaxNameLength = 128);
