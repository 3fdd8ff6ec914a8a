using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Mysimbdp.Testing;

/// <summary>
/// A real PostgreSQL server (Debian's package, installed by <c>./mysimbdp test</c>) in a temp folder: <c>initdb</c>,
/// then <c>pg_ctl start</c> on a free loopback port with the <c>wal_level</c> asked for, password (SCRAM) logins
/// over TCP, stopped and deleted at the end. Run as the <c>postgres</c> user when the tests run as root (PostgreSQL
/// refuses root). It has a tenant database <c>shop</c> and a login <c>shop_user</c> that may replicate.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Database = "shop";
    public const string User = "shop_user";
    public const string Password = "shop-password-0123";
    private const string SuperPassword = "postgres-password-0123";

    private readonly string _folder;
    private readonly string _bin;
    private readonly string _walLevel;

    private PostgresServer(string folder, string bin, int port, string walLevel)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
        _walLevel = walLevel;
    }

    public int Port { get; }

    /// <summary>The server's data folder and log, for a test that needs to tell what the server said.</summary>
    public string LogFile => Path.Combine(_folder, "server.log");

    public static async Task<PostgresServer> StartAsync(string walLevel = "logical")
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").OrderByDescending(d => int.Parse(Path.GetFileName(d))).Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed: ./mysimbdp test installs Debian's postgresql package.");
        var folder = Directory.CreateTempSubdirectory("mysimbdp-pg-").FullName;
        var server = new PostgresServer(folder, bin, FreePort(), walLevel);
        var passwordFile = Path.Combine(folder, "password");
        await File.WriteAllTextAsync(passwordFile, SuperPassword);
        server.Own();
        await server.RunAsync("initdb", "-D", server.Data, "-U", "postgres", "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
            "--no-sync");
        await server.StartServerAsync();
        await using (var admin = await server.OpenAsync("postgres", "postgres", SuperPassword))
        {
            await Execute(admin, $"CREATE ROLE {User} LOGIN REPLICATION PASSWORD '{Password}'");
            await Execute(admin, $"CREATE DATABASE {Database} OWNER {User}");
        }

        return server;
    }

    private string Data => Path.Combine(_folder, "data");

    /// <summary>A connection string for <paramref name="database"/> as <paramref name="user"/>.</summary>
    public string ConnectionString(string database = Database, string user = User, string password = Password) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Database = database, Username = user, Password = password, Pooling = false }.ConnectionString;

    /// <summary>Runs SQL in the tenant's database, as its owner.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync(Database, User, Password);
        await Execute(connection, sql);
    }

    /// <summary>One value from a query in the tenant's database.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync(Database, User, Password);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs SQL as the superuser (in the tenant's database unless told otherwise).</summary>
    public async Task ExecuteAsSuperuserAsync(string sql, string database = Database)
    {
        await using var connection = await OpenAsync(database, "postgres", SuperPassword);
        await Execute(connection, sql);
    }

    /// <summary>Stops the server (<c>immediate</c>: as if it crashed; <c>fast</c>: clients are disconnected) and starts it again on the same port.</summary>
    public async Task RestartAsync(string mode)
    {
        await RunAsync("pg_ctl", "-D", Data, "-m", mode, "-w", "stop");
        await StartServerAsync();
    }

    private async Task StartServerAsync() =>
        await RunAsync("pg_ctl", "-D", Data, "-l", LogFile, "-w", "-t", "60", "-o",
            $"-c port={Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_folder} -c wal_level={_walLevel} -c max_replication_slots=20 " +
            "-c max_wal_senders=20 -c fsync=off -c full_page_writes=off", "start");

    private async Task<NpgsqlConnection> OpenAsync(string database, string user, string password)
    {
        var connection = new NpgsqlConnection(ConnectionString(database, user, password));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool AsRoot => Environment.UserName == "root";

    /// <summary>Gives the folder to the postgres user when the server must run as it.</summary>
    private void Own()
    {
        if (AsRoot)
        {
            Process.Start("chown", ["-R", "postgres:postgres", _folder]).WaitForExit();
        }
    }

    private async Task RunAsync(string program, params string[] args)
    {
        var path = Path.Combine(_bin, program);
        var start = AsRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", path, .. args]) : new ProcessStartInfo(path, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = _folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "";
            throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await output}{await error}{log}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_folder, recursive: true);
    }
}
