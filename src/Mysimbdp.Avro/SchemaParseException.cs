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
public sealed record SchemaParseOptions(bool Strict)
{
    public static readonly SchemaParseOptions Lenient = new(false);
    public static readonly SchemaParseOptions StrictOptions = new(true);
}
