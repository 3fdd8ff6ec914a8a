using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cql;

namespace CqlStandIn;

/// <summary>
/// A stand-in Cassandra cluster for tests: one or more nodes on loopback (127.0.0.1, 127.0.0.2, ... on one port)
/// speaking CQL native protocol v4 (STARTUP, OPTIONS, REGISTER, QUERY, PREPARE, EXECUTE, BATCH; results and
/// errors as section 4.2 and 9 lay them out), over data kept in memory with Cassandra's rules
/// (<see cref="ClusterData"/>). Requests on a connection run concurrently and may be answered out of order.
/// It knows the statement shapes a client of coredms needs, not all of CQL: no USE, ALLOW FILTERING, ranges,
/// functions, compression, authentication or conditional batches. It exists so that the Cassandra engine's
/// logic is exercised end to end where no Cassandra can run; it is not a replacement for the live suite.
/// </summary>
public sealed class StandInCluster : IAsyncDisposable
{
    /// <summary>An answer frame's opcode, body and warnings (sent with the warning flag, before the body).</summary>
    private sealed record Reply(Opcode Opcode, byte[] Body)
    {
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }

    private readonly List<TcpListener> _listeners = [];
    private readonly ConcurrentDictionary<string, PreparedStatement> _prepared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Socket, int> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<int> _down = [];

    private StandInCluster(ClusterData data, int port)
    {
        Data = data;
        Port = port;
    }

    public ClusterData Data { get; }

    public int Port { get; }

    /// <summary>The first node's address, as a contact point.</summary>
    public string ContactPoint => $"127.0.0.1:{Port}";

    /// <summary>How many EXECUTEs and BATCHes named a statement the cluster did not know (answered UNPREPARED).</summary>
    public int UnpreparedAnswers => _unprepared;

    private int _unprepared;

    /// <summary>Open client connections per node.</summary>
    public int ConnectionsTo(int node) => _connections.Values.Count(n => n == node);

    /// <summary>Starts <paramref name="nodes"/> nodes (in data center dc1 unless <paramref name="dataCenters"/> says); TTLs follow <paramref name="clock"/> (the machine's by default).</summary>
    public static StandInCluster Start(int nodes = 1, TimeProvider? clock = null, IReadOnlyList<string>? dataCenters = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            var port = ((IPEndPoint)first.LocalEndpoint).Port;
            var listeners = new List<TcpListener> { first };
            try
            {
                for (var i = 1; i < nodes; i++)
                {
                    var next = new TcpListener(new IPAddress([127, 0, 0, (byte)(i + 1)]), port);
                    next.Start();
                    listeners.Add(next);
                }
            }
            catch (SocketException) when (attempt < 10)
            {
                listeners.ForEach(l => l.Stop());
                continue;
            }

            var infos = listeners.Select((l, i) => new NodeInfo(((IPEndPoint)l.LocalEndpoint).Address, dataCenters?[i] ?? "dc1", "rack1", Guid.NewGuid())).ToList();
            var cluster = new StandInCluster(new ClusterData(clock ?? TimeProvider.System, infos), port);
            cluster._listeners.AddRange(listeners);
            for (var i = 0; i < listeners.Count; i++)
            {
                var node = i;
                _ = Task.Run(() => cluster.AcceptAsync(listeners[node], node));
            }

            return cluster;
        }
    }

    /// <summary>Forgets every prepared statement, as a node does when it restarts (clients then get UNPREPARED).</summary>
    public void ForgetPrepared() => _prepared.Clear();

    /// <summary>Takes a node down: its connections are cut and new ones refused.</summary>
    public void Stop(int node)
    {
        lock (_down)
        {
            _down.Add(node);
        }

        foreach (var (socket, n) in _connections)
        {
            if (n == node)
            {
                socket.Close();
            }
        }
    }

    private bool IsDown(int node)
    {
        lock (_down)
        {
            return _down.Contains(node);
        }
    }

    private async Task AcceptAsync(TcpListener listener, int node)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (IsDown(node))
            {
                socket.Close();
                continue;
            }

            _connections[socket] = node;
            _ = Task.Run(() => ServeAsync(socket, node));
        }
    }

    private async Task ServeAsync(Socket socket, int node)
    {
        var writing = new SemaphoreSlim(1, 1);
        var started = false;
        try
        {
            while (true)
            {
                var header = await ReadAsync(socket, 9);
                var body = await ReadAsync(socket, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)));
                var stream = BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2));
                var opcode = (Opcode)header[4];
                if (header[0] != 0x04)
                {
                    await SendAsync(socket, writing, stream, Error(new NodeException(CqlErrorCode.ProtocolError,
                        $"Invalid or unsupported protocol version ({header[0]}); supported versions are (4/v4)")));
                    return;
                }

                if (opcode is Opcode.Startup or Opcode.Options || !started)
                {
                    var answer = Handshake(opcode, body, ref started);
                    await SendAsync(socket, writing, stream, answer);
                    continue;
                }

                _ = Task.Run(async () =>
                {
                    Reply answer;
                    try
                    {
                        answer = Answer(opcode, body, node);
                    }
                    catch (NodeException e)
                    {
                        answer = Error(e);
                    }
                    catch (CqlProtocolException e)
                    {
                        answer = Error(new NodeException(CqlErrorCode.ProtocolError, e.Message));
                    }

                    await SendAsync(socket, writing, stream, answer);
                });
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            read += n > 0 ? n : throw new IOException("The client closed the connection.");
        }

        return buffer;
    }

    private static async Task SendAsync(Socket socket, SemaphoreSlim writing, short stream, Reply answer)
    {
        var w = new ProtocolWriter();
        w.Byte(0x84);
        w.Byte(answer.Warnings.Count > 0 ? (byte)0x08 : (byte)0);
        w.Short((ushort)stream);
        w.Byte((byte)answer.Opcode);
        var length = w.ReserveInt();
        if (answer.Warnings.Count > 0)
        {
            w.Short((ushort)answer.Warnings.Count);
            answer.Warnings.ToList().ForEach(w.String);
        }

        w.Raw(answer.Body);
        w.PatchInt(length, w.Length - 9);
        var frame = w.ToArray();
        await writing.WaitAsync();
        try
        {
            await socket.SendAsync(frame, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            writing.Release();
        }
    }

    private static Reply Handshake(Opcode opcode, byte[] body, ref bool started)
    {
        switch (opcode)
        {
            case Opcode.Options:
                var w = new ProtocolWriter();
                w.Short(3);
                Multimap(w, "CQL_VERSION", "3.4.5");
                Multimap(w, "COMPRESSION");
                Multimap(w, "PROTOCOL_VERSIONS", "4/v4");
                return new Reply(Opcode.Supported, w.ToArray());
            case Opcode.Startup:
                var r = new ProtocolReader(body);
                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int i = 0, n = r.Short(); i < n; i++)
                {
                    options[r.String()] = r.String();
                }

                if (!options.ContainsKey("CQL_VERSION"))
                {
                    return Error(new NodeException(CqlErrorCode.ProtocolError, "CQL_VERSION is mandatory"));
                }

                if (options.TryGetValue("COMPRESSION", out var compression))
                {
                    return Error(new NodeException(CqlErrorCode.ProtocolError, "Unknown compression algorithm: " + compression));
                }

                started = true;
                return new Reply(Opcode.Ready, []);
            default:
                return Error(new NodeException(CqlErrorCode.ProtocolError, $"Unexpected message {opcode.ToString().ToUpperInvariant()}, expecting STARTUP or OPTIONS"));
        }
    }

    private static void Multimap(ProtocolWriter w, string key, params string[] values)
    {
        w.String(key);
        w.Short((ushort)values.Length);
        foreach (var value in values)
        {
            w.String(value);
        }
    }

    private Reply Answer(Opcode opcode, byte[] body, int node)
    {
        var r = new ProtocolReader(body);
        switch (opcode)
        {
            case Opcode.Register:
                return new Reply(Opcode.Ready, []);
            case Opcode.Query:
            {
                var prepared = Data.Prepare(r.LongString());
                var run = Parameters(ref r, body, node);
                return Result(Data.Execute(prepared, run), prepared, skipMetadata: false);
            }

            case Opcode.Prepare:
            {
                var cql = r.LongString();
                var prepared = Data.Prepare(cql);
                var id = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(cql))[..16];
                _prepared[Convert.ToHexString(id)] = prepared;
                return new Reply(Opcode.Result, PreparedBody(id, prepared));
            }

            case Opcode.Execute:
            {
                var id = r.ShortBytes();
                var prepared = Lookup(id);
                var flagsAt = r.Position + 2;
                var skip = body.Length > flagsAt && (body[flagsAt] & 0x02) != 0;
                var run = Parameters(ref r, body, node);
                return Result(Data.Execute(prepared, run), prepared, skip);
            }

            case Opcode.Batch:
            {
                var type = (BatchType)r.Byte();
                var statements = new List<(PreparedStatement, IReadOnlyList<byte[]?>)>();
                for (int i = 0, n = r.Short(); i < n; i++)
                {
                    var prepared = r.Byte() == 1 ? Lookup(r.ShortBytes()) : Data.Prepare(r.LongString());
                    statements.Add((prepared, Values(ref r, body)));
                }

                var consistency = (Consistency)r.Short();
                var flags = r.Byte();
                if ((flags & 0x40) != 0)
                {
                    throw new NodeException(CqlErrorCode.ProtocolError, "Named values in a batch are not supported");
                }

                Consistency? serial = (flags & 0x10) != 0 ? (Consistency)r.Short() : null;
                long? timestamp = (flags & 0x20) != 0 ? r.Long() : null;
                return Result(Data.Batch(statements, type, new Execution([], consistency, Serial: serial, Timestamp: timestamp, Node: node)), null, false);
            }

            default:
                throw new NodeException(CqlErrorCode.ProtocolError, $"Unknown or unexpected opcode 0x{(byte)opcode:x2}");
        }
    }

    private PreparedStatement Lookup(byte[] id)
    {
        if (_prepared.TryGetValue(Convert.ToHexString(id), out var prepared))
        {
            return prepared;
        }

        Interlocked.Increment(ref _unprepared);
        throw new NodeException(CqlErrorCode.Unprepared, $"Prepared query with ID {Convert.ToHexString(id).ToLowerInvariant()} not found")
        {
            Details = w => w.ShortBytes(id),
        };
    }

    /// <summary>A [short] n, then n [value]s (a [bytes] whose length -2 means unset).</summary>
    private static List<byte[]?> Values(ref ProtocolReader r, byte[] body)
    {
        var values = new List<byte[]?>();
        for (int i = 0, n = r.Short(); i < n; i++)
        {
            if (r.Remaining >= 4 && BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(r.Position)) == -2)
            {
                throw NodeException.Invalid("Unset values are not supported by the stand-in");
            }

            values.Add(r.Bytes());
        }

        return values;
    }

    /// <summary>&lt;query_parameters&gt; (section 4.1.4).</summary>
    private static Execution Parameters(ref ProtocolReader r, byte[] body, int node)
    {
        var consistency = (Consistency)r.Short();
        var flags = r.Byte();
        if ((flags & 0x40) != 0)
        {
            throw new NodeException(CqlErrorCode.ProtocolError, "Named values are not supported by the stand-in");
        }

        var values = (flags & 0x01) != 0 ? Values(ref r, body) : [];
        int? pageSize = (flags & 0x04) != 0 ? r.Int() : null;
        var state = (flags & 0x08) != 0 ? r.Bytes() : null;
        Consistency? serial = (flags & 0x10) != 0 ? (Consistency)r.Short() : null;
        long? timestamp = (flags & 0x20) != 0 ? r.Long() : null;
        if (r.Remaining != 0)
        {
            throw new NodeException(CqlErrorCode.ProtocolError, $"{r.Remaining} bytes left after the query parameters");
        }

        return new Execution(values, consistency, pageSize, state, serial, timestamp, node);
    }

    private static Reply Result(Outcome outcome, PreparedStatement? prepared, bool skipMetadata)
    {
        var w = new ProtocolWriter();
        switch (outcome)
        {
            case Outcome.Rows rows:
                w.Int(0x0002);
                Metadata(w, rows.Columns, rows.PagingState, noMetadata: skipMetadata && prepared?.ResultColumns is not null);
                w.Int(rows.Values.Count);
                foreach (var row in rows.Values)
                {
                    foreach (var value in row)
                    {
                        w.Bytes(value, value is null);
                    }
                }

                break;
            case Outcome.SchemaChange change:
                w.Int(0x0005);
                w.String(change.Change);
                w.String(change.Target);
                w.String(change.Keyspace);
                if (change.Name is { } name)
                {
                    w.String(name);
                }

                break;
            default:
                w.Int(0x0001);
                break;
        }

        return new Reply(Opcode.Result, w.ToArray()) { Warnings = outcome.Warnings };
    }

    private static void Metadata(ProtocolWriter w, IReadOnlyList<ColumnSpec> columns, byte[]? paging, bool noMetadata)
    {
        var global = columns.Count > 0 && columns.All(c => c.Keyspace == columns[0].Keyspace && c.Table == columns[0].Table);
        w.Int((global ? 0x0001 : 0) | (paging is null ? 0 : 0x0002) | (noMetadata ? 0x0004 : 0));
        w.Int(columns.Count);
        if (paging is not null)
        {
            w.Bytes(paging);
        }

        if (noMetadata)
        {
            return;
        }

        Specs(w, columns, global);
    }

    private static void Specs(ProtocolWriter w, IReadOnlyList<ColumnSpec> columns, bool global)
    {
        if (global)
        {
            w.String(columns[0].Keyspace);
            w.String(columns[0].Table);
        }

        foreach (var column in columns)
        {
            if (!global)
            {
                w.String(column.Keyspace);
                w.String(column.Table);
            }

            w.String(column.Name);
            WriteType(w, column.Type);
        }
    }

    private static void WriteType(ProtocolWriter w, CqlType type)
    {
        w.Short((ushort)type.Id);
        foreach (var element in type.Elements)
        {
            WriteType(w, element);
        }
    }

    private static byte[] PreparedBody(byte[] id, PreparedStatement prepared)
    {
        var w = new ProtocolWriter();
        w.Int(0x0004);
        w.ShortBytes(id);
        var global = prepared.Binds.Count > 0 && prepared.Binds.All(c => c.Keyspace == prepared.Binds[0].Keyspace && c.Table == prepared.Binds[0].Table);
        w.Int(global ? 0x0001 : 0);
        w.Int(prepared.Binds.Count);
        w.Int(prepared.PartitionKeyMarkers.Count);
        foreach (var index in prepared.PartitionKeyMarkers)
        {
            w.Short(index);
        }

        Specs(w, prepared.Binds, global);
        if (prepared.ResultColumns is { } columns)
        {
            Metadata(w, columns, null, noMetadata: false);
        }
        else
        {
            w.Int(0x0004);
            w.Int(0);
        }

        return w.ToArray();
    }

    private static Reply Error(NodeException e)
    {
        var w = new ProtocolWriter();
        w.Int((int)e.Code);
        w.String(e.Message);
        e.Details?.Invoke(w);
        return new Reply(Opcode.Error, w.ToArray());
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listeners.ForEach(l => l.Stop());
        foreach (var socket in _connections.Keys)
        {
            socket.Close();
        }

        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
