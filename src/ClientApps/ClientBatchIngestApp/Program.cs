using ClientBatchIngestApp;

// clientbatchingestapp: reads {SOURCE_PATH}/{CLIENT_ID}/in/{dataset}/*, writes {SOURCE_PATH}/{CLIENT_ID}/out/{dataset}/*
// with the same names (write, then rename), and says what it changed on stdout.
var client = Environment.GetEnvironmentVariable("CLIENT_ID");
var source = Environment.GetEnvironmentVariable("SOURCE_PATH");
if (string.IsNullOrEmpty(client) || string.IsNullOrEmpty(source))
{
    Console.Error.WriteLine("clientbatchingestapp needs CLIENT_ID and SOURCE_PATH");
    return 2;
}

var input = Path.Combine(source, client, "in");
var output = Path.Combine(source, client, "out");
if (!Directory.Exists(input))
{
    Console.WriteLine($"{client}: nothing in {input}");
    return 0;
}

var wrangler = Wrangler.For(client);
var files = 0;
foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
{
    var relative = Path.GetRelativePath(input, file);
    var target = Path.Combine(output, relative);
    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
    var temporary = target + ".tmp";
    using (var reader = new StreamReader(file))
    using (var writer = new StreamWriter(temporary))
    {
        var report = wrangler.Wrangle(reader, writer);
        Console.WriteLine($"{client}: {relative}: {report}");
    }

    File.Move(temporary, target, overwrite: true);
    files++;
}

Console.WriteLine($"{client}: {files} file(s) written to out/");
return 0;
