namespace Cql;

/// <summary>The peer broke the protocol (a truncated or malformed frame, an unknown opcode); the connection is closed.</summary>
public sealed class CqlProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No answer within the request's timeout; the stream id stays reserved until the late answer arrives or the connection closes.</summary>
public sealed class CqlTimeoutException(string message) : TimeoutException(message);

/// <summary>The connection is closed or broken; requests in flight fail with this.</summary>
public sealed class CqlConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server's error codes (section 9 of the v4 spec).</summary>
public enum CqlErrorCode
{
    ServerError = 0x0000,
    ProtocolError = 0x000A,
    AuthenticationError = 0x0100,
    Unavailable = 0x1000,
    Overloaded = 0x1001,
    IsBootstrapping = 0x1002,
    TruncateError = 0x1003,
    WriteTimeout = 0x1100,
    ReadTimeout = 0x1200,
    ReadFailure = 0x1300,
    FunctionFailure = 0x1400,
    WriteFailure = 0x1500,
    SyntaxError = 0x2000,
    Unauthorized = 0x2100,
    Invalid = 0x2200,
    ConfigError = 0x2300,
    AlreadyExists = 0x2400,
    Unprepared = 0x2500,
}

/// <summary>
/// An ERROR the server answered, with the code's details (section 9): consistency, required/alive or
/// received/block-for replicas, failures, data present, write type, the keyspace and table that already exist,
/// the function that failed, the statement id that is not prepared.
/// </summary>
public sealed class CqlServerException(CqlErrorCode code, string message) : Exception($"{code} (0x{(int)code:x4}): {message}")
{
    public CqlErrorCode Code { get; } = code;

    public string ServerMessage { get; } = message;

    public Consistency? Consistency { get; init; }

    public int? Required { get; init; }

    public int? Alive { get; init; }

    public int? Received { get; init; }

    public int? BlockFor { get; init; }

    public int? Failures { get; init; }

    public bool? DataPresent { get; init; }

    public string? WriteType { get; init; }

    public string? Keyspace { get; init; }

    public string? Table { get; init; }

    public string? Function { get; init; }

    public IReadOnlyList<string>? ArgumentTypes { get; init; }

    public byte[]? UnpreparedId { get; init; }

    /// <summary>Whether sending the same idempotent request again may succeed (timeouts, unavailable, overloaded, bootstrapping).</summary>
    public bool IsTransient => Code is CqlErrorCode.Unavailable or CqlErrorCode.Overloaded or CqlErrorCode.IsBootstrapping
        or CqlErrorCode.ReadTimeout or CqlErrorCode.WriteTimeout;
}
