using Wrangling;

// clientbatchingestapp: reads {SOURCE_PATH}/{CLIENT_ID}/in/{dataset}/*, writes {SOURCE_PATH}/{CLIENT_ID}/out/{dataset}/*
// with the same names (write, then rename), says what it changed on stdout, and exits.
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

var files = 0;
foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
{
    var relative = Path.GetRelativePath(input, file);
    Console.WriteLine($"{client}: {relative}: {Wrangler.WrangleFile(client, file, Path.Combine(output, relative))}");
    files++;
}

Console.WriteLine($"{client}: {files} file(s) written to out/");
return 0;
