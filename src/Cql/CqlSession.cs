using System.Collections.Concurrent;
using Polly;
using Polly.Retry;

namespace Cql;

/// <summary>Where and how a session connects.</summary>
public sealed record CqlSessionOptions
{
    /// <summary>host[:port],... (9042 when no port is given).</summary>
    public string ContactPoints { get; init; } = "127.0.0.1:9042";

    public int ConnectionsPerNode { get; init; } = 2;

    /// <summary>Adds the nodes <c>system.peers</c> lists in the contact point's data center to the contact points.</summary>
    public bool DiscoverNodes { get; init; } = true;

    /// <summary>
    /// How long a node whose connection could not be opened is passed over before a statement tries it again
    /// (that try waits up to the connect timeout when the address does not answer at all).
    /// </summary>
    public TimeSpan DownFor { get; init; } = TimeSpan.FromSeconds(30);

    public Consistency Consistency { get; init; } = Consistency.LocalQuorum;

    public Consistency SerialConsistency { get; init; } = Consistency.LocalSerial;

    /// <summary>Attempts after the first for idempotent statements that failed transiently.</summary>
    public int Retries { get; init; } = 3;

    public CqlConnectionOptions Connection { get; init; } = new();
}

/// <summary>A statement's result: its rows (values decoded by column type) and the paging state of the next page.</summary>
public sealed record CqlResult(IReadOnlyList<CqlColumn> Columns, IReadOnlyList<object?[]> Rows, byte[]? PagingState)
{
    public static readonly CqlResult Empty = new([], [], null);

    /// <summary>For a lightweight transaction: whether it applied (the <c>[applied]</c> column).</summary>
    public bool Applied => Columns.Count > 0 && Columns[0].Name == "[applied]" && Rows.Count > 0 && Rows[0][0] is true;
}

/// <summary>
/// Statements over a few connections per node, taken in turn. The nodes are the contact points and, found at
/// connect, their peers in the same data center (<c>system.peers</c>); a node whose connection cannot be opened
/// is passed over for a while and the statement goes to the next one (nothing was sent, so this is safe for
/// any statement). Statements with values are prepared once per session (and again when a node answers
/// UNPREPARED, after a restart); results page by paging state. Idempotent statements are retried on transient
/// failures (timeouts, unavailable, overloaded, a broken connection), with exponential back-off; others never
/// are, since they may have been applied.
/// </summary>
public sealed class CqlSession : IAsyncDisposable
{
    private readonly CqlSessionOptions _options;
    private (string Host, int Port)[] _nodes;
    private CqlConnection?[] _connections = [];
    private SemaphoreSlim[] _opening = [];
    private long[] _downUntil = [];
    private readonly ConcurrentDictionary<string, Lazy<Task<CqlResponse.Prepared>>> _prepared = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline _idempotent;
    private int _next;

    private CqlSession(CqlSessionOptions options)
    {
        _options = options;
        _nodes = options.ContactPoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseNode).ToArray();
        if (_nodes.Length == 0)
        {
            throw new ArgumentException("No contact point given.", nameof(options));
        }

        _idempotent = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<CqlServerException>(e => e.IsTransient).Handle<CqlTimeoutException>().Handle<CqlConnectionException>(),
            MaxRetryAttempts = Math.Max(1, options.Retries),
            Delay = TimeSpan.FromMilliseconds(100),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        }).Build();
    }

    private static (string, int) ParseNode(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text[(colon + 1)..], out var port) ? (text[..colon], port) : (text, 9042);
    }

    /// <summary>Opens a session: connects to the first contact point that answers (so that wrong addresses fail here) and finds its peers.</summary>
    public static async Task<CqlSession> ConnectAsync(CqlSessionOptions options, CancellationToken ct = default)
    {
        var session = new CqlSession(options);
        await session.StartAsync(ct);
        return session;
    }

    private async Task StartAsync(CancellationToken ct)
    {
        CqlConnection? first = null;
        var at = 0;
        Exception? failure = null;
        for (; at < _nodes.Length && first is null; at++)
        {
            try
            {
                first = await CqlConnection.OpenAsync(_nodes[at].Host, _nodes[at].Port, _options.Connection, ct);
            }
            catch (Exception e) when (e is CqlConnectionException or CqlTimeoutException && !ct.IsCancellationRequested)
            {
                failure = e;
            }
        }

        if (first is null)
        {
            throw failure!;
        }

        var contact = _nodes[at - 1];
        if (_options.DiscoverNodes)
        {
            List<string> peers;
            try
            {
                peers = await PeersAsync(first, ct);
            }
            catch (CqlServerException)
            {
                peers = []; // The node would not show its peers (permissions): the contact points will do.
            }
            catch
            {
                await first.DisposeAsync();
                throw;
            }

            _nodes = [.. _nodes, .. peers.Select(address => (address, contact.Port)).Where(peer => !_nodes.Contains(peer))];
        }

        _connections = new CqlConnection?[_nodes.Length * Math.Max(1, _options.ConnectionsPerNode)];
        _opening = _connections.Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        _downUntil = new long[_nodes.Length];
        _connections[Array.IndexOf(_nodes, contact)] = first;
    }

    /// <summary>The addresses of the peers in the contact point's data center (rpc_address, or the peer's own address when that is 0.0.0.0).</summary>
    private static async Task<List<string>> PeersAsync(CqlConnection connection, CancellationToken ct)
    {
        async Task<IReadOnlyList<object?[]>> Rows(string cql) =>
            ToResult(await connection.RequestAsync(Opcode.Query, Requests.Query(cql, new QueryParameters(Consistency.One)), ct: ct)).Rows;

        var local = await Rows("SELECT data_center FROM system.local") is [[string dc, ..], ..] ? dc : null;
        return (await Rows("SELECT peer, rpc_address, data_center FROM system.peers"))
            .Where(row => local is null || Equals(row[2], local))
            .Select(row => row[1] is System.Net.IPAddress rpc && !rpc.Equals(System.Net.IPAddress.Any) ? rpc : (System.Net.IPAddress)row[0]!)
            .Select(address => address.ToString())
            .ToList();
    }

    /// <summary>The nodes this session sends statements to (contact points, then discovered peers).</summary>
    public IReadOnlyList<string> Nodes => _nodes.Select(n => $"{n.Host}:{n.Port}").ToList();

    private async Task<CqlConnection> ConnectionAsync(int slot, CancellationToken ct)
    {
        if (_connections[slot] is { IsBroken: false } open)
        {
            return open;
        }

        await _opening[slot].WaitAsync(ct);
        try
        {
            if (_connections[slot] is { IsBroken: false } again)
            {
                return again;
            }

            if (_connections[slot] is { } broken)
            {
                _connections[slot] = null;
                await broken.DisposeAsync();
            }

            var node = slot % _nodes.Length;
            try
            {
                _connections[slot] = await CqlConnection.OpenAsync(_nodes[node].Host, _nodes[node].Port, _options.Connection, ct);
            }
            catch (Exception e) when (e is CqlConnectionException or CqlTimeoutException)
            {
                Volatile.Write(ref _downUntil[node], Environment.TickCount64 + (long)_options.DownFor.TotalMilliseconds);
                throw;
            }

            return _connections[slot]!;
        }
        finally
        {
            _opening[slot].Release();
        }
    }

    /// <summary>The next connection in turn; a node that could not be reached lately is passed over unless every node is down.</summary>
    private async Task<CqlConnection> NextAsync(CancellationToken ct)
    {
        var start = (uint)Interlocked.Increment(ref _next);
        Exception? failure = null;
        var now = Environment.TickCount64;
        var nodes = Enumerable.Range(0, _nodes.Length).Select(i => (int)((start + (uint)i) % (uint)_connections.Length));
        var slots = nodes.Where(slot => Volatile.Read(ref _downUntil[slot % _nodes.Length]) <= now).ToList() is { Count: > 0 } up ? up : nodes.ToList();
        foreach (var slot in slots)
        {
            try
            {
                return await ConnectionAsync(slot, ct);
            }
            catch (Exception e) when (e is CqlConnectionException or CqlTimeoutException && !ct.IsCancellationRequested)
            {
                failure = e;
            }
        }

        throw failure!;
    }

    /// <summary>Runs CQL without values (DDL, simple reads) as a QUERY.</summary>
    public Task<CqlResult> QueryAsync(string cql, bool idempotent = true, CancellationToken ct = default) =>
        RunAsync(idempotent, async token =>
            ToResult(await (await NextAsync(token)).RequestAsync(Opcode.Query, Requests.Query(cql, new QueryParameters(_options.Consistency)), ct: token)), ct);

    /// <summary>Prepares (once) and executes a statement with its values, optionally one page at a time.</summary>
    public Task<CqlResult> ExecuteAsync(string cql, IReadOnlyList<object?> values, bool idempotent, int? pageSize = null, byte[]? pagingState = null,
        CancellationToken ct = default) =>
        RunAsync(idempotent, token => PreparedAsync(cql, async (connection, prepared) =>
        {
            var parameters = new QueryParameters(_options.Consistency, Bind(prepared, values), pageSize, pagingState, _options.SerialConsistency);
            return ToResult(await connection.RequestAsync(Opcode.Execute, Requests.Execute(prepared.Id, parameters), prepared.Result, ct: token));
        }, token), ct);

    /// <summary>An unlogged batch of prepared statements (meant for one partition: atomic and isolated there).</summary>
    public Task ExecuteBatchAsync(IReadOnlyList<(string Cql, IReadOnlyList<object?> Values)> statements, bool idempotent, long? timestamp = null,
        CancellationToken ct = default) =>
        RunAsync(idempotent, async token =>
        {
            var connection = await NextAsync(token);
            return await OnceMoreIfUnpreparedAsync(async () =>
            {
                var prepared = new Dictionary<string, CqlResponse.Prepared>(StringComparer.Ordinal);
                foreach (var (cql, _) in statements)
                {
                    if (!prepared.ContainsKey(cql))
                    {
                        prepared[cql] = await PrepareAsync(connection, cql, token);
                    }
                }

                var body = Requests.Batch(BatchType.Unlogged,
                    statements.Select(s => new BatchStatement(null, prepared[s.Cql].Id, Bind(prepared[s.Cql], s.Values))).ToList(),
                    _options.Consistency, null, timestamp);
                await connection.RequestAsync(Opcode.Batch, body, ct: token);
                return CqlResult.Empty;
            });
        }, ct);

    private Task<CqlResult> RunAsync(bool idempotent, Func<CancellationToken, Task<CqlResult>> action, CancellationToken ct) =>
        idempotent ? _idempotent.ExecuteAsync(async token => await action(token), ct).AsTask() : action(ct);

    private async Task<CqlResult> PreparedAsync(string cql, Func<CqlConnection, CqlResponse.Prepared, Task<CqlResult>> execute, CancellationToken ct)
    {
        var connection = await NextAsync(ct);
        return await OnceMoreIfUnpreparedAsync(async () => await execute(connection, await PrepareAsync(connection, cql, ct)));
    }

    /// <summary>
    /// Runs an attempt that prepares (from the cache) and executes; when the node answers UNPREPARED (it lost its
    /// prepared statements in a restart), forgets that id and runs the attempt once more, which prepares again.
    /// </summary>
    private async Task<CqlResult> OnceMoreIfUnpreparedAsync(Func<Task<CqlResult>> attempt)
    {
        try
        {
            return await attempt();
        }
        catch (CqlServerException e) when (e.Code == CqlErrorCode.Unprepared)
        {
            Forget(e.UnpreparedId);
            return await attempt();
        }
    }

    private async Task<CqlResponse.Prepared> PrepareAsync(CqlConnection connection, string cql, CancellationToken ct)
    {
        var lazy = _prepared.GetOrAdd(cql, text => new Lazy<Task<CqlResponse.Prepared>>(async () =>
            (CqlResponse.Prepared)await connection.RequestAsync(Opcode.Prepare, Requests.Prepare(text), ct: CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(ct);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            _prepared.TryRemove(new KeyValuePair<string, Lazy<Task<CqlResponse.Prepared>>>(cql, lazy));
            throw;
        }
    }

    private void Forget(byte[]? id)
    {
        foreach (var (cql, lazy) in _prepared)
        {
            if (id is null || (lazy.Value.IsCompletedSuccessfully && lazy.Value.Result.Id.AsSpan().SequenceEqual(id)))
            {
                _prepared.TryRemove(new KeyValuePair<string, Lazy<Task<CqlResponse.Prepared>>>(cql, lazy));
            }
        }
    }

    private static List<CqlValue> Bind(CqlResponse.Prepared prepared, IReadOnlyList<object?> values)
    {
        var columns = prepared.Bind.Columns;
        if (columns.Count != values.Count)
        {
            throw new ArgumentException($"The statement has {columns.Count} bind markers; {values.Count} values were given.", nameof(values));
        }

        return columns.Select((c, i) => CqlValue.Of(c.Type, values[i])).ToList();
    }

    private static CqlResult ToResult(object answer) => answer is CqlResponse.Rows rows
        ? new CqlResult(rows.Metadata.Columns, rows.Values, rows.Metadata.PagingState)
        : CqlResult.Empty;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        foreach (var gate in _opening)
        {
            gate.Dispose();
        }
    }
}
