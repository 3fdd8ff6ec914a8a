using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Cql;

/// <summary>How to reach a node.</summary>
public sealed record CqlConnectionOptions
{
    public string Username { get; init; } = "";

    public string Password { get; init; } = "";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(12);

    /// <summary>Requests in flight at once on the connection (stream ids in use), at most 32768.</summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>Bodies longer than this are a protocol error (the spec's default limit is 256 MB).</summary>
    public int MaxFrameBytes { get; init; } = 256 * 1024 * 1024;
}

/// <summary>
/// One connection to a node, protocol v4: requests are multiplexed by stream id (many in flight, answered in any
/// order), each with its timeout. A read loop routes answers; a frame that breaks the protocol (wrong version,
/// unknown opcode, a length out of bounds, a body cut short) fails every request in flight with a
/// <see cref="CqlProtocolException"/> and closes the connection. A request never waits past its timeout.
/// </summary>
public sealed class CqlConnection : IAsyncDisposable
{
    private const byte RequestVersion = 0x04;
    private const byte ResponseVersion = 0x84;
    private const int HeaderLength = 9;

    private readonly Socket _socket;
    private readonly CqlConnectionOptions _options;
    private readonly ConcurrentDictionary<short, TaskCompletionSource<(Opcode, byte[])>> _pending = new();
    private readonly ConcurrentBag<short> _freeIds = [];
    private readonly SemaphoreSlim _ids;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _reading;
    private volatile Exception? _failure;
    private int _disposed;

    private CqlConnection(Socket socket, CqlConnectionOptions options)
    {
        _socket = socket;
        _options = options;
        var max = Math.Clamp(options.MaxInFlight, 1, 32768);
        for (var i = max - 1; i >= 0; i--)
        {
            _freeIds.Add((short)i);
        }

        _ids = new SemaphoreSlim(max, max);
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>True once the connection failed or was closed; a session replaces it.</summary>
    public bool IsBroken => _failure is not null;

    /// <summary>Warnings the server attached to answers (the warning flag), newest last.</summary>
    public ConcurrentQueue<string> Warnings { get; } = new();

    /// <summary>Connects, sends STARTUP and authenticates with PasswordAuthenticator when the server asks.</summary>
    public static async Task<CqlConnection> OpenAsync(string host, int port, CqlConnectionOptions? options = null, CancellationToken ct = default)
    {
        options ??= new CqlConnectionOptions();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(host, port, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                socket.Dispose();
                throw new CqlTimeoutException($"Connecting to {host}:{port} took longer than {options.ConnectTimeout.TotalSeconds:0.#} s.");
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new CqlConnectionException($"Cannot connect to {host}:{port}: {e.Message}", e);
            }
        }

        var connection = new CqlConnection(socket, options);
        try
        {
            var answer = await connection.RequestAsync(Opcode.Startup, Requests.Startup(), ct: ct);
            if (answer is CqlResponse.Authenticate authenticate)
            {
                if (options.Username.Length == 0)
                {
                    throw new CqlConnectionException($"{host}:{port} requires authentication ({authenticate.Authenticator}); no username is configured.");
                }

                answer = await connection.RequestAsync(Opcode.AuthResponse, Requests.AuthResponse(options.Username, options.Password), ct: ct);
                if (answer is not CqlResponse.AuthSuccess)
                {
                    throw new CqlProtocolException($"Expected AUTH_SUCCESS after the credentials, got {answer.GetType().Name}.");
                }
            }
            else if (answer is not CqlResponse.Ready)
            {
                throw new CqlProtocolException($"Expected READY or AUTHENTICATE after STARTUP, got {answer.GetType().Name}.");
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a request and returns its decoded answer; a server ERROR is thrown as <see cref="CqlServerException"/>.</summary>
    public async Task<object> RequestAsync(Opcode opcode, byte[] body, RowsMetadata? knownMetadata = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var (answerOpcode, answerBody) = await SendAsync(opcode, body, timeout ?? _options.RequestTimeout, ct);
        var answer = CqlResponse.Parse(answerOpcode, answerBody, knownMetadata);
        return answer is CqlServerException error ? throw error : answer;
    }

    /// <summary>Sends one frame and waits for the frame answering it (same stream id).</summary>
    public async Task<(Opcode Opcode, byte[] Body)> SendAsync(Opcode opcode, byte[] body, TimeSpan timeout, CancellationToken ct)
    {
        if (_failure is { } failure)
        {
            throw new CqlConnectionException("The connection is closed: " + failure.Message, failure);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await _ids.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CqlTimeoutException($"No stream id became free within {timeout.TotalSeconds:0.#} s ({_options.MaxInFlight} requests in flight).");
        }

        _freeIds.TryTake(out var stream);
        var answer = new TaskCompletionSource<(Opcode, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[stream] = answer;
        var frame = new byte[HeaderLength + body.Length];
        frame[0] = RequestVersion;
        frame[1] = 0;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = (byte)opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, HeaderLength);
        try
        {
            await _writeLock.WaitAsync(deadline.Token);
            try
            {
                await _socket.SendAsync(frame, SocketFlags.None, deadline.Token);
            }
            finally
            {
                _writeLock.Release();
            }

            return await answer.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The id stays taken until the late answer arrives (or the connection closes), so that it cannot be
            // matched to a newer request.
            throw new CqlTimeoutException($"{opcode} got no answer within {timeout.TotalSeconds:0.#} s.");
        }
        catch (SocketException e)
        {
            Fail(new CqlConnectionException("Writing to the node failed: " + e.Message, e));
            throw _failure!;
        }
    }

    private void Release(short stream)
    {
        _freeIds.Add(stream);
        _ids.Release();
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[HeaderLength];
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                await ReadExactlyAsync(header, "a frame header");
                if (header[0] != ResponseVersion)
                {
                    throw new CqlProtocolException($"A frame with version byte 0x{header[0]:x2}; protocol v4 answers with 0x84.");
                }

                var flags = header[1];
                var stream = BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2));
                var opcode = (Opcode)header[4];
                var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5));
                if (!Enum.IsDefined(opcode) || opcode is Opcode.Startup or Opcode.Options or Opcode.Query or Opcode.Prepare or Opcode.Execute or Opcode.Batch
                    or Opcode.Register or Opcode.AuthResponse)
                {
                    throw new CqlProtocolException($"A frame with opcode 0x{header[4]:x2}, which is not a response.");
                }

                if (length < 0 || length > _options.MaxFrameBytes)
                {
                    throw new CqlProtocolException($"A frame body of {length} bytes (the limit is {_options.MaxFrameBytes}).");
                }

                if ((flags & 0x01) != 0)
                {
                    throw new CqlProtocolException("A compressed frame, though no compression was agreed.");
                }

                var body = new byte[length];
                await ReadExactlyAsync(body, $"a {opcode} body of {length} bytes");
                var start = Prefixes(flags, body);
                // The read loop alone frees ids: an answer to a request that timed out frees its id only now.
                if (stream >= 0 && _pending.TryRemove(stream, out var waiting))
                {
                    waiting.TrySetResult((opcode, body[start..]));
                    Release(stream);
                }
            }
        }
        catch (Exception e) when (e is CqlProtocolException or CqlConnectionException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail(e as CqlProtocolException ?? (Exception)new CqlConnectionException(_closed.IsCancellationRequested ? "The connection was closed." : "The node closed the connection: " + e.Message, e));
        }
    }

    /// <summary>Skips the tracing id, warnings and custom payload a response may start with; returns where the message begins.</summary>
    private int Prefixes(byte flags, byte[] body)
    {
        var r = new ProtocolReader(body);
        if ((flags & 0x02) != 0)
        {
            r.Uuid();
        }

        if ((flags & 0x08) != 0)
        {
            foreach (var warning in r.StringList())
            {
                Warnings.Enqueue(warning);
            }
        }

        if ((flags & 0x04) != 0)
        {
            r.BytesMap();
        }

        return r.Position;
    }

    private async Task ReadExactlyAsync(byte[] buffer, string what)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, _closed.Token);
            if (n == 0)
            {
                throw read == 0 && what == "a frame header"
                    ? new CqlConnectionException("The node closed the connection.")
                    : new CqlProtocolException($"The connection ended inside {what} ({read} of {buffer.Length} bytes).");
            }

            read += n;
        }
    }

    private void Fail(Exception error)
    {
        _failure ??= error;
        foreach (var stream in _pending.Keys)
        {
            if (_pending.TryRemove(stream, out var waiting))
            {
                waiting.TrySetException(error);
            }
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the connection; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _closed.CancelAsync();
        Fail(new CqlConnectionException("The connection was closed."));
        _socket.Dispose();
        await _reading;
        _closed.Dispose();
        _ids.Dispose();
        _writeLock.Dispose();
    }
}
