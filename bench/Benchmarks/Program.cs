using Benchmarks;

var command = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
return command switch
{
    "avro" => AvroBenchmark.Run(rest),
    "batch" => await BatchBenchmark.RunAsync(rest),
    "stream" => await StreamBenchmark.RunAsync(rest),
    "events" => await EventsBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Benchmarks avro [--records N] | batch [--rows N] [--big-mb MB] [--shape 1-4] [--lake] | stream [--files N] [--rows N] [--transport T] | events [--seconds N] [--transport T]");
    return 2;
}
