using System.Diagnostics;

namespace Cql.Tests;

/// <summary>
/// The connection against a stand-in node on loopback: the handshake, authentication, many requests in flight
/// answered out of order, and a peer that misbehaves (cut frames, bad lengths, unknown opcodes, silence),
/// which must give a clear error and never hold a caller past its timeout.
/// </summary>
public sealed class ConnectionTests
{
    private static readonly CqlConnectionOptions Fast = new() { RequestTimeout = TimeSpan.FromSeconds(10) };

    private static byte[] Body(Action<ProtocolWriter> write)
    {
        var w = new ProtocolWriter();
        write(w);
        return w.ToArray();
    }

    private static byte[] IntRows(int value) => Body(w =>
    {
        w.Int(2);
        w.Int(1);
        w.Int(1);
        w.String("ks");
        w.String("t");
        w.String("n");
        w.Short((ushort)CqlTypeId.Int);
        w.Int(1);
        w.Bytes(CqlCodec.Encode(CqlType.Int, value));
    });

    private static async Task<(FakeNode Node, CqlConnection Connection)> OpenAsync(CqlConnectionOptions? options = null)
    {
        var node = new FakeNode();
        var opening = CqlConnection.OpenAsync("127.0.0.1", node.Port, options ?? Fast);
        await node.AcceptStartupAsync();
        return (node, await opening);
    }

    [Fact]
    public async Task TheHandshakeIsAStartupFrameOfProtocolV4()
    {
        await using var node = new FakeNode();
        var opening = CqlConnection.OpenAsync("127.0.0.1", node.Port, Fast);
        var startup = await node.ReceiveAsync();
        Assert.Equal(Convert.FromHexString("0400" + Convert.ToHexString(startup.Raw.AsSpan(2, 2)) + "01" + "00000016"), startup.Raw[..9]);
        Assert.Equal(Requests.Startup(), startup.Body);
        await node.AnswerAsync(startup, Opcode.Ready, []);
        await using var connection = await opening;
    }

    [Fact]
    public async Task PasswordAuthenticationAnswersTheServersChallenge()
    {
        await using var node = new FakeNode();
        var opening = CqlConnection.OpenAsync("127.0.0.1", node.Port, Fast with { Username = "cassandra", Password = "s3cret" });
        var startup = await node.ReceiveAsync();
        await node.AnswerAsync(startup, Opcode.Authenticate, Body(w => w.String("org.apache.cassandra.auth.PasswordAuthenticator")));
        var credentials = await node.ReceiveAsync();
        Assert.Equal(Opcode.AuthResponse, credentials.Opcode);
        Assert.Equal(Requests.AuthResponse("cassandra", "s3cret"), credentials.Body);
        await node.AnswerAsync(credentials, Opcode.AuthSuccess, Body(w => w.Int(-1)));
        await using var connection = await opening;

        await using var other = new FakeNode();
        var refused = CqlConnection.OpenAsync("127.0.0.1", other.Port, Fast);
        var second = await other.ReceiveAsync();
        await other.AnswerAsync(second, Opcode.Authenticate, Body(w => w.String("org.apache.cassandra.auth.PasswordAuthenticator")));
        Assert.Contains("no username is configured", (await Assert.ThrowsAsync<CqlConnectionException>(() => refused)).Message);
    }

    [Fact]
    public async Task ManyRequestsInFlightGetTheirOwnAnswersInAnyOrder()
    {
        var (node, connection) = await OpenAsync();
        await using var _ = node;
        await using var __ = connection;

        var requests = Enumerable.Range(0, 50).Select(i => connection.RequestAsync(Opcode.Query, Requests.Query($"SELECT {i}", new QueryParameters(Consistency.One)))).ToList();
        var received = new List<ReceivedFrame>();
        for (var i = 0; i < 50; i++)
        {
            received.Add(await node.ReceiveAsync());
        }

        Assert.Equal(50, received.Select(r => r.Stream).Distinct().Count());
        foreach (var frame in received.AsEnumerable().Reverse())
        {
            var text = new ProtocolReader(frame.Body).LongString();
            await node.AnswerAsync(frame, Opcode.Result, IntRows(int.Parse(text["SELECT ".Length..], System.Globalization.CultureInfo.InvariantCulture)));
        }

        for (var i = 0; i < 50; i++)
        {
            var rows = Assert.IsType<CqlResponse.Rows>(await requests[i]);
            Assert.Equal(i, rows.Values.Single()[0]);
        }
    }

    [Fact]
    public async Task AServerErrorIsThrownTypedAndTheConnectionGoesOn()
    {
        var (node, connection) = await OpenAsync();
        await using var _ = node;
        await using var __ = connection;
        var failing = connection.RequestAsync(Opcode.Query, Requests.Query("SELEC", new QueryParameters(Consistency.One)));
        var frame = await node.ReceiveAsync();
        await node.AnswerAsync(frame, Opcode.Error, Body(w =>
        {
            w.Int(0x2000);
            w.String("line 1:0 no viable alternative at input 'SELEC'");
        }));
        Assert.Equal(CqlErrorCode.SyntaxError, (await Assert.ThrowsAsync<CqlServerException>(() => failing)).Code);

        var next = connection.RequestAsync(Opcode.Query, Requests.Query("SELECT 1", new QueryParameters(Consistency.One)));
        await node.AnswerAsync(await node.ReceiveAsync(), Opcode.Result, IntRows(1));
        Assert.IsType<CqlResponse.Rows>(await next);
    }

    [Fact]
    public async Task WarningsAndTracingIdsBeforeTheBodyAreRead()
    {
        var (node, connection) = await OpenAsync();
        await using var _ = node;
        await using var __ = connection;
        var request = connection.RequestAsync(Opcode.Query, Requests.Query("SELECT 1", new QueryParameters(Consistency.One)));
        var frame = await node.ReceiveAsync();
        var body = Body(w =>
        {
            w.Raw(Guid.NewGuid().ToByteArray(bigEndian: true));
            w.Short(1);
            w.String("Aggregation query used without partition key");
            w.Raw(IntRows(5));
        });
        await node.SendRawAsync(FakeNode.Frame(frame.Stream, Opcode.Result, body, flags: 0x02 | 0x08));
        Assert.Equal(5, Assert.IsType<CqlResponse.Rows>(await request).Values[0][0]);
        Assert.Equal("Aggregation query used without partition key", Assert.Single(connection.Warnings));
    }

    public static TheoryData<string, string> BrokenAnswers() => new()
    {
        { "cut", "ended inside" },
        { "negative length", "body of -5 bytes" },
        { "huge length", "the limit is" },
        { "unknown opcode", "opcode 0x42" },
        { "request opcode", "opcode 0x07" },
        { "version", "version byte 0x04" },
        { "closed", "closed the connection" },
    };

    [Theory]
    [MemberData(nameof(BrokenAnswers))]
    public async Task APeerThatBreaksTheProtocolFailsTheRequestClearlyAndClosesTheConnection(string fault, string expected)
    {
        var (node, connection) = await OpenAsync(Fast with { MaxFrameBytes = 1 << 20 });
        await using var _ = node;
        await using var __ = connection;
        var request = connection.RequestAsync(Opcode.Query, Requests.Query("SELECT 1", new QueryParameters(Consistency.One)));
        var frame = await node.ReceiveAsync();
        var good = FakeNode.Frame(frame.Stream, Opcode.Result, IntRows(1));
        switch (fault)
        {
            case "cut":
                await node.SendRawAsync(good[..(good.Length - 3)]);
                await node.CloseClientAsync();
                break;
            case "negative length":
                good[5] = 0xff; good[6] = 0xff; good[7] = 0xff; good[8] = 0xfb;
                await node.SendRawAsync(good);
                break;
            case "huge length":
                good[5] = 0x10;
                await node.SendRawAsync(good);
                break;
            case "unknown opcode":
                good[4] = 0x42;
                await node.SendRawAsync(good);
                break;
            case "request opcode":
                good[4] = (byte)Opcode.Query;
                await node.SendRawAsync(good);
                break;
            case "version":
                good[0] = 0x04;
                await node.SendRawAsync(good);
                break;
            case "closed":
                await node.CloseClientAsync();
                break;
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => request);
        Assert.True(error is CqlProtocolException or CqlConnectionException, error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var after = await Assert.ThrowsAsync<CqlConnectionException>(() => connection.RequestAsync(Opcode.Options, Requests.Options()));
        Assert.Contains("closed", after.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APeerThatStopsAnsweringTimesTheRequestOutAndALateAnswerIsIgnored()
    {
        var (node, connection) = await OpenAsync(Fast with { MaxInFlight = 1 });
        await using var _ = node;
        await using var __ = connection;
        var watch = Stopwatch.StartNew();
        var silent = connection.RequestAsync(Opcode.Query, Requests.Query("SELECT 1", new QueryParameters(Consistency.One)), timeout: TimeSpan.FromMilliseconds(300));
        var frame = await node.ReceiveAsync();
        await Assert.ThrowsAsync<CqlTimeoutException>(() => silent);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the caller waited {watch.Elapsed}");

        // The only stream id is still held by the silent request: the next request waits for it, and gets it
        // when the late answer arrives (which nobody receives).
        var next = connection.RequestAsync(Opcode.Query, Requests.Query("SELECT 2", new QueryParameters(Consistency.One)));
        await node.AnswerAsync(frame, Opcode.Result, IntRows(1));
        var second = await node.ReceiveAsync();
        Assert.Equal(frame.Stream, second.Stream);
        await node.AnswerAsync(second, Opcode.Result, IntRows(2));
        Assert.Equal(2, Assert.IsType<CqlResponse.Rows>(await next).Values[0][0]);
    }

    [Fact]
    public async Task ANodeThatDoesNotAcceptIsAClearError()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => CqlConnection.OpenAsync("127.0.0.1", 1, Fast with { ConnectTimeout = TimeSpan.FromSeconds(2) }));
        Assert.True(error is CqlConnectionException or CqlTimeoutException, error.ToString());
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }
}
