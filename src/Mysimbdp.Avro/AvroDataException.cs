namespace Mysimbdp.Avro;

/// <summary>Avro data that cannot be decoded (or a value that cannot be encoded), with where and why.</summary>
public sealed class AvroDataException : Exception
{
    public AvroDataException()
    {
    }

    public AvroDataException(string message)
        : base(message)
    {
    }

    public AvroDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
