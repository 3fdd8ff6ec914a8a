namespace Cql;

/// <summary>Message opcodes (section 2.4).</summary>
public enum Opcode : byte
{
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

/// <summary>Consistency levels (section 3, [consistency]).</summary>
public enum Consistency : ushort
{
    Any = 0x0000,
    One = 0x0001,
    Two = 0x0002,
    Three = 0x0003,
    Quorum = 0x0004,
    All = 0x0005,
    LocalQuorum = 0x0006,
    EachQuorum = 0x0007,
    Serial = 0x0008,
    LocalSerial = 0x0009,
    LocalOne = 0x000A,
}

/// <summary>A bound value: its bytes, or null (sent as length -1).</summary>
public readonly record struct CqlValue(byte[]? Bytes)
{
    public static readonly CqlValue Null = new(null);

    public static CqlValue Of(CqlType type, object? value) => value is null ? Null : new CqlValue(CqlCodec.Encode(type, value));
}

/// <summary>The &lt;query_parameters&gt; of QUERY and EXECUTE (section 4.1.4).</summary>
public sealed record QueryParameters(Consistency Consistency, IReadOnlyList<CqlValue>? Values = null, int? PageSize = null, byte[]? PagingState = null,
    Consistency? SerialConsistency = null, long? Timestamp = null, bool SkipMetadata = false)
{
    public void Write(ProtocolWriter w)
    {
        w.Short((ushort)Consistency);
        byte flags = 0;
        if (Values is { Count: > 0 }) { flags |= 0x01; }
        if (SkipMetadata) { flags |= 0x02; }
        if (PageSize is not null) { flags |= 0x04; }
        if (PagingState is not null) { flags |= 0x08; }
        if (SerialConsistency is not null) { flags |= 0x10; }
        if (Timestamp is not null) { flags |= 0x20; }
        w.Byte(flags);
        if (Values is { Count: > 0 })
        {
            w.Short((ushort)Values.Count);
            foreach (var value in Values)
            {
                w.Bytes(value.Bytes, value.Bytes is null);
            }
        }

        if (PageSize is { } size) { w.Int(size); }
        if (PagingState is { } state) { w.Bytes(state); }
        if (SerialConsistency is { } serial) { w.Short((ushort)serial); }
        if (Timestamp is { } timestamp) { w.Long(timestamp); }
    }
}

/// <summary>One statement of a BATCH: CQL text or a prepared id, with its values.</summary>
public sealed record BatchStatement(string? Cql, byte[]? PreparedId, IReadOnlyList<CqlValue> Values);

/// <summary>BATCH types (section 4.1.7).</summary>
public enum BatchType : byte
{
    Logged = 0,
    Unlogged = 1,
    Counter = 2,
}

/// <summary>Request bodies (section 4.1).</summary>
public static class Requests
{
    public static byte[] Startup(string cqlVersion = "3.0.0")
    {
        var w = new ProtocolWriter();
        w.StringMap(new Dictionary<string, string> { ["CQL_VERSION"] = cqlVersion });
        return w.ToArray();
    }

    public static byte[] Options() => [];

    /// <summary>PasswordAuthenticator's SASL PLAIN token: \0 user \0 password.</summary>
    public static byte[] AuthResponse(string username, string password)
    {
        var token = new ProtocolWriter();
        token.Byte(0);
        token.Raw(System.Text.Encoding.UTF8.GetBytes(username));
        token.Byte(0);
        token.Raw(System.Text.Encoding.UTF8.GetBytes(password));
        var w = new ProtocolWriter();
        w.Bytes(token.Written);
        return w.ToArray();
    }

    public static byte[] Query(string cql, QueryParameters parameters)
    {
        var w = new ProtocolWriter();
        w.LongString(cql);
        parameters.Write(w);
        return w.ToArray();
    }

    public static byte[] Prepare(string cql)
    {
        var w = new ProtocolWriter();
        w.LongString(cql);
        return w.ToArray();
    }

    public static byte[] Execute(byte[] id, QueryParameters parameters)
    {
        var w = new ProtocolWriter();
        w.ShortBytes(id);
        parameters.Write(w);
        return w.ToArray();
    }

    public static byte[] Batch(BatchType type, IReadOnlyList<BatchStatement> statements, Consistency consistency, Consistency? serial = null, long? timestamp = null)
    {
        var w = new ProtocolWriter();
        w.Byte((byte)type);
        w.Short((ushort)statements.Count);
        foreach (var s in statements)
        {
            if (s.PreparedId is { } id)
            {
                w.Byte(1);
                w.ShortBytes(id);
            }
            else
            {
                w.Byte(0);
                w.LongString(s.Cql ?? throw new ArgumentException("A batch statement needs CQL or a prepared id."));
            }

            w.Short((ushort)s.Values.Count);
            foreach (var value in s.Values)
            {
                w.Bytes(value.Bytes, value.Bytes is null);
            }
        }

        w.Short((ushort)consistency);
        byte flags = 0;
        if (serial is not null) { flags |= 0x10; }
        if (timestamp is not null) { flags |= 0x20; }
        w.Byte(flags);
        if (serial is { } sc) { w.Short((ushort)sc); }
        if (timestamp is { } ts) { w.Long(ts); }
        return w.ToArray();
    }
}

/// <summary>A column of a result or a bind marker of a prepared statement.</summary>
public sealed record CqlColumn(string Keyspace, string Table, string Name, CqlType Type);

/// <summary>Rows metadata (section 4.2.5.2).</summary>
public sealed record RowsMetadata(IReadOnlyList<CqlColumn> Columns, byte[]? PagingState, IReadOnlyList<ushort> PartitionKeyIndexes)
{
    public static RowsMetadata Read(ref ProtocolReader r, bool prepared)
    {
        var flags = r.Int();
        var count = r.Int();
        var pk = new List<ushort>();
        if (prepared)
        {
            var pkCount = r.Int();
            for (var i = 0; i < pkCount; i++)
            {
                pk.Add(r.Short());
            }
        }

        byte[]? paging = !prepared && (flags & 0x0002) != 0 ? r.Bytes() : null;
        if ((flags & 0x0004) != 0)
        {
            return new RowsMetadata([], paging, pk);
        }

        string? keyspace = null, table = null;
        if ((flags & 0x0001) != 0)
        {
            keyspace = r.String();
            table = r.String();
        }

        if (count < 0 || count > r.Remaining)
        {
            throw new CqlProtocolException($"The metadata says {count} columns, more than the frame can hold.");
        }

        var columns = new List<CqlColumn>(count);
        for (var i = 0; i < count; i++)
        {
            var ks = keyspace ?? r.String();
            var tb = table ?? r.String();
            var name = r.String();
            columns.Add(new CqlColumn(ks, tb, name, CqlType.Read(ref r)));
        }

        return new RowsMetadata(columns, paging, pk);
    }
}

/// <summary>What a RESULT or other response carried.</summary>
public abstract record CqlResponse
{
    public sealed record Ready : CqlResponse;

    public sealed record Authenticate(string Authenticator) : CqlResponse;

    public sealed record AuthChallenge(byte[]? Token) : CqlResponse;

    public sealed record AuthSuccess(byte[]? Token) : CqlResponse;

    public sealed record Supported(IReadOnlyDictionary<string, List<string>> Options) : CqlResponse;

    public sealed record Void : CqlResponse;

    /// <summary>Rows, each value decoded by its column's type (null for null).</summary>
    public sealed record Rows(RowsMetadata Metadata, IReadOnlyList<object?[]> Values) : CqlResponse;

    public sealed record SetKeyspace(string Keyspace) : CqlResponse;

    public sealed record Prepared(byte[] Id, RowsMetadata Bind, RowsMetadata Result) : CqlResponse;

    public sealed record SchemaChange(string Change, string Target, string Keyspace, string? Name) : CqlResponse;

    /// <summary>Decodes a response body; an ERROR becomes the <see cref="CqlServerException"/> it describes (returned, not thrown).</summary>
    public static object Parse(Opcode opcode, ReadOnlySpan<byte> body, RowsMetadata? knownMetadata = null)
    {
        var r = new ProtocolReader(body);
        object result = opcode switch
        {
            Opcode.Error => ParseError(ref r),
            Opcode.Ready => new Ready(),
            Opcode.Authenticate => new Authenticate(r.String()),
            Opcode.AuthChallenge => new AuthChallenge(r.Bytes()),
            Opcode.AuthSuccess => new AuthSuccess(r.Bytes()),
            Opcode.Supported => new Supported(r.StringMultimap()),
            Opcode.Result => ParseResult(ref r, knownMetadata),
            _ => throw new CqlProtocolException($"Opcode {opcode} is not a response a client expects."),
        };
        return result;
    }

    private static object ParseResult(ref ProtocolReader r, RowsMetadata? knownMetadata)
    {
        var kind = r.Int();
        switch (kind)
        {
            case 0x0001:
                return new Void();
            case 0x0002:
                var metadata = RowsMetadata.Read(ref r, prepared: false);
                var columns = metadata.Columns.Count > 0 ? metadata.Columns : knownMetadata?.Columns
                    ?? throw new CqlProtocolException("Rows came without metadata and none is known for the statement.");
                var count = r.Int();
                if (count < 0 || (long)count * columns.Count * 4 > r.Remaining)
                {
                    throw new CqlProtocolException($"The result says {count} rows, more than the frame can hold.");
                }

                var rows = new List<object?[]>(count);
                for (var i = 0; i < count; i++)
                {
                    var row = new object?[columns.Count];
                    for (var c = 0; c < row.Length; c++)
                    {
                        row[c] = r.Bytes() is { } bytes ? CqlCodec.Decode(columns[c].Type, bytes) : null;
                    }

                    rows.Add(row);
                }

                return new Rows(metadata with { Columns = columns }, rows);
            case 0x0003:
                return new SetKeyspace(r.String());
            case 0x0004:
                var id = r.ShortBytes();
                var bind = RowsMetadata.Read(ref r, prepared: true);
                return new Prepared(id, bind, RowsMetadata.Read(ref r, prepared: false));
            case 0x0005:
                var change = r.String();
                var target = r.String();
                var keyspace = r.String();
                return new SchemaChange(change, target, keyspace, target == "KEYSPACE" ? null : r.String());
            default:
                throw new CqlProtocolException($"Unknown RESULT kind 0x{kind:x4}.");
        }
    }

    private static CqlServerException ParseError(ref ProtocolReader r)
    {
        var code = (CqlErrorCode)r.Int();
        var message = r.String();
        return code switch
        {
            CqlErrorCode.Unavailable => new CqlServerException(code, message) { Consistency = (Consistency)r.Short(), Required = r.Int(), Alive = r.Int() },
            CqlErrorCode.WriteTimeout => new CqlServerException(code, message) { Consistency = (Consistency)r.Short(), Received = r.Int(), BlockFor = r.Int(), WriteType = r.String() },
            CqlErrorCode.ReadTimeout => new CqlServerException(code, message) { Consistency = (Consistency)r.Short(), Received = r.Int(), BlockFor = r.Int(), DataPresent = r.Byte() != 0 },
            CqlErrorCode.ReadFailure => new CqlServerException(code, message)
            {
                Consistency = (Consistency)r.Short(), Received = r.Int(), BlockFor = r.Int(), Failures = r.Int(), DataPresent = r.Byte() != 0,
            },
            CqlErrorCode.WriteFailure => new CqlServerException(code, message)
            {
                Consistency = (Consistency)r.Short(), Received = r.Int(), BlockFor = r.Int(), Failures = r.Int(), WriteType = r.String(),
            },
            CqlErrorCode.FunctionFailure => new CqlServerException(code, message) { Keyspace = r.String(), Function = r.String(), ArgumentTypes = r.StringList() },
            CqlErrorCode.AlreadyExists => new CqlServerException(code, message) { Keyspace = r.String(), Table = r.String() },
            CqlErrorCode.Unprepared => new CqlServerException(code, message) { UnpreparedId = r.ShortBytes() },
            _ => new CqlServerException(code, message),
        };
    }
}
