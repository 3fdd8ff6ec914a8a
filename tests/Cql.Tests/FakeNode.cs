using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Cql.Tests;

/// <summary>A request frame as a node receives it.</summary>
public sealed record ReceivedFrame(byte Version, byte Flags, short Stream, Opcode Opcode, byte[] Body, byte[] Raw);

/// <summary>
/// A stand-in Cassandra node on loopback: accepts one connection and lets the test answer each request frame
/// with well-formed frames, raw bytes, or silence.
/// </summary>
public sealed class FakeNode : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket? _client;

    public FakeNode() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task<Socket> ClientAsync() => _client ??= await _listener.AcceptSocketAsync();

    public async Task<ReceivedFrame> ReceiveAsync()
    {
        var socket = await ClientAsync();
        var header = await ReadAsync(socket, 9);
        var body = await ReadAsync(socket, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)));
        return new ReceivedFrame(header[0], header[1], BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2)), (Opcode)header[4], body, [.. header, .. body]);
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("The client closed the connection.");
            }

            read += n;
        }

        return buffer;
    }

    public static byte[] Frame(short stream, Opcode opcode, byte[] body, byte version = 0x84, byte flags = 0)
    {
        var frame = new byte[9 + body.Length];
        frame[0] = version;
        frame[1] = flags;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = (byte)opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, 9);
        return frame;
    }

    public async Task SendRawAsync(byte[] bytes) => await (await ClientAsync()).SendAsync(bytes, SocketFlags.None);

    public Task AnswerAsync(ReceivedFrame request, Opcode opcode, byte[] body) => SendRawAsync(Frame(request.Stream, opcode, body));

    /// <summary>Answers STARTUP with READY.</summary>
    public async Task AcceptStartupAsync()
    {
        var startup = await ReceiveAsync();
        Assert.Equal(Opcode.Startup, startup.Opcode);
        await AnswerAsync(startup, Opcode.Ready, []);
    }

    /// <summary>
    /// Serves in the background: answers STARTUP, then each frame with what <paramref name="answer"/> says, until
    /// the client goes. Returns the frames received, in order (read them after the client's calls returned).
    /// </summary>
    public List<ReceivedFrame> Serve(Func<ReceivedFrame, (Opcode Opcode, byte[] Body)> answer)
    {
        var got = new List<ReceivedFrame>();
        _ = Task.Run(async () =>
        {
            await AcceptStartupAsync();
            while (true)
            {
                ReceivedFrame frame;
                try
                {
                    frame = await ReceiveAsync();
                }
                catch (IOException)
                {
                    return;
                }

                lock (got)
                {
                    got.Add(frame);
                }

                var (opcode, body) = answer(frame);
                await AnswerAsync(frame, opcode, body);
            }
        });
        return got;
    }

    public async Task CloseClientAsync()
    {
        (await ClientAsync()).Shutdown(SocketShutdown.Both);
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
