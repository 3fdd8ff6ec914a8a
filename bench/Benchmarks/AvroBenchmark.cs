using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mysimbdp.Avro;
using Mysimbdp.Tests.Oracles;

namespace Benchmarks;

/// <summary>
/// Encode/decode throughput for the tenant A record shape (schemas/examples/client_a), generic and fast
/// paths, next to npm avsc and Apache.Avro's generic writer and reader on the same records in the same run.
/// </summary>
internal static class AvroBenchmark
{
    public static int Run(string[] args)
    {
        var count = Measure.Option(args, "--records", 1_000_000);
        var root = Measure.RepoRoot();
        using var dataset = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "schemas", "examples", "client_a", "dataset.json")));
        var schema = (RecordSchema)Schema.Parse(dataset.RootElement.GetProperty("schema"));
        var records = Generate(schema, count);

        var encoder = new BinaryEncoder(count * 40);
        var encodeGeneric = Measure.Median(3, () =>
        {
            encoder.Clear();
            foreach (var record in records)
            {
                DatumWriter.Write(schema, record, encoder);
            }
        });
        var bytes = encoder.ToArray();

        var fast = new RecordEncoder(schema);
        var source = new Columns(records);
        var encodeFast = Measure.Median(3, () =>
        {
            encoder.Clear();
            for (source.Row = 0; source.Row < records.Length; source.Row++)
            {
                fast.Write(source, encoder);
            }
        });
        if (!encoder.Written.SequenceEqual(bytes))
        {
            throw new InvalidOperationException("The fast encoder's bytes differ from the generic encoder's.");
        }

        var reader = new DatumReader(schema);
        var decodeGeneric = Measure.Median(3, () =>
        {
            var d = new BinaryDecoder(bytes);
            for (var i = 0; i < count; i++)
            {
                reader.Read(ref d);
            }
        });

        var decoder = new RecordDecoder(schema, schema);
        var sink = new SummingSink();
        var decodeFast = Measure.Median(3, () =>
        {
            var d = new BinaryDecoder(bytes);
            for (var i = 0; i < count; i++)
            {
                decoder.Read(ref d, sink);
            }
        });

        var avsc = RunAvsc(root, schema, records, bytes);
        var apache = RunApache(schema, records, bytes);

        Console.WriteLine($"Avro encode/decode, tenant A record shape ({schema.Fields.Count} fields), {count:N0} records, {bytes.Length / (double)count:F1} bytes each");
        Console.WriteLine($"{"",-34}{"records/s",14}{"MB/s",10}{"vs avsc",10}{"vs Apache",11}");
        static string Ratio(TimeSpan? baseline, TimeSpan time) =>
            baseline is { } b ? (b.TotalSeconds / time.TotalSeconds).ToString("F2", CultureInfo.InvariantCulture) + "x" : "";
        void Row(string name, TimeSpan time, TimeSpan? avscTime, TimeSpan? apacheTime) =>
            Console.WriteLine($"{name,-34}{Measure.Rate(count, time),14}{Measure.MegabytesPerSecond(bytes.Length, time),10}{Ratio(avscTime, time),10}{Ratio(apacheTime, time),11}");
        Row("encode, fast path", encodeFast, avsc.Encode, apache.Encode);
        Row("encode, generic records", encodeGeneric, avsc.Encode, apache.Encode);
        Row("encode, avsc 5.7.9 (node)", avsc.Encode, null, null);
        Row("encode, Apache.Avro 1.12.2 generic", apache.Encode, null, null);
        Row("decode, fast path", decodeFast, avsc.Decode, apache.Decode);
        Row("decode, generic records", decodeGeneric, avsc.Decode, apache.Decode);
        Row("decode, avsc 5.7.9 (node)", avsc.Decode, null, null);
        Row("decode, Apache.Avro 1.12.2 generic", apache.Decode, null, null);
        return 0;
    }

    /// <summary>Apache.Avro's GenericDatumWriter and GenericDatumReader on the same records, which must encode to the same bytes.</summary>
    private static (TimeSpan Encode, TimeSpan Decode) RunApache(RecordSchema schema, GenericRecord[] records, byte[] expected)
    {
        var apacheSchema = ApacheAvro.Parse(schema);
        var datums = records.Select(r => ApacheAvro.ToApache(apacheSchema, r)).ToArray();
        var writer = new global::Avro.Generic.GenericDatumWriter<object?>(apacheSchema);
        using var output = new MemoryStream(expected.Length);
        var encode = Measure.Median(3, () =>
        {
            output.SetLength(0);
            var encoder = new global::Avro.IO.BinaryEncoder(output);
            foreach (var datum in datums)
            {
                writer.Write(datum, encoder);
            }
        });
        if (!output.ToArray().AsSpan().SequenceEqual(expected))
        {
            throw new InvalidOperationException("Apache.Avro encoded the records to different bytes; the comparison would not be fair.");
        }

        var reader = new global::Avro.Generic.GenericDatumReader<object?>(apacheSchema, apacheSchema);
        var decode = Measure.Median(3, () =>
        {
            using var input = new MemoryStream(expected, writable: false);
            var decoder = new global::Avro.IO.BinaryDecoder(input);
            for (var i = 0; i < datums.Length; i++)
            {
                reader.Read(null, decoder);
            }
        });
        return (encode, decode);
    }

    private static GenericRecord[] Generate(RecordSchema schema, int count)
    {
        var random = new Random(42);
        var classes = (EnumSchema)schema.GetField("vehicle_class")!.Schema;
        return Enumerable.Range(0, count).Select(i => new GenericRecord(schema,
        [
            random.Next(1, 5000),
            i,
            20_500 + random.Next(365),
            random.Next(86_400_000),
            Math.Round(random.NextDouble() * 130, 2),
            random.Next(4) == 0 ? null : random.Next(1, 4),
            new GenericEnumSymbol(classes, classes.Symbols[random.Next(classes.Symbols.Count)]),
            random.Next(3) == 0 ? null : Convert.ToHexStringLower(BitConverter.GetBytes(random.Next())),
        ])).ToArray();
    }

    private static (TimeSpan Encode, TimeSpan Decode) RunAvsc(string root, RecordSchema schema, GenericRecord[] records, byte[] expected)
    {
        var oracle = Path.Combine(root, "tests", "oracles", "avro");
        if (!File.Exists(Path.Combine(oracle, "node_modules", "avsc", "package.json")))
        {
            Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = oracle })!.WaitForExit();
        }

        var input = Path.GetTempFileName();
        try
        {
            using (var writer = new StreamWriter(input, false, new UTF8Encoding(false)))
            {
                writer.WriteLine(schema.ToJson());
                foreach (var record in records)
                {
                    writer.WriteLine(JsonEncoding.ToJson(schema, record));
                }
            }

            var start = new ProcessStartInfo("node", ["bench.js", input]) { WorkingDirectory = oracle, RedirectStandardOutput = true };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            using var result = JsonDocument.Parse(output);
            var r = result.RootElement;
            if (r.GetProperty("bytes").GetInt64() != expected.Length || r.GetProperty("sha256").GetString() != Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(expected)))
            {
                throw new InvalidOperationException("avsc encoded the records to different bytes; the comparison would not be fair.");
            }

            return (TimeSpan.FromMilliseconds(r.GetProperty("encode_ms").GetDouble()), TimeSpan.FromMilliseconds(r.GetProperty("decode_ms").GetDouble()));
        }
        finally
        {
            File.Delete(input);
        }
    }

    /// <summary>The records' fields in arrays, served to the fast encoder as a table would serve them.</summary>
    private sealed class Columns : IRecordSource
    {
        private readonly object?[][] _values;
        private readonly byte[]?[][] _utf8;

        public Columns(GenericRecord[] records)
        {
            _values = records.Select(r => r.Values).ToArray();
            _utf8 = records.Select(r => r.Values.Select(v => v switch
            {
                string s => Encoding.UTF8.GetBytes(s),
                GenericEnumSymbol e => Encoding.UTF8.GetBytes(e.Symbol),
                _ => null,
            }).ToArray()).ToArray();
        }

        public int Row { get; set; }

        public bool IsNull(int field) => _values[Row][field] is null;

        public bool GetBoolean(int field) => (bool)_values[Row][field]!;

        public long GetLong(int field) => _values[Row][field] is int i ? i : (long)_values[Row][field]!;

        public double GetDouble(int field) => (double)_values[Row][field]!;

        public ReadOnlySpan<byte> GetBytes(int field) => _utf8[Row][field];

        public object? GetValue(int field) => _values[Row][field];
    }

    /// <summary>Touches every decoded value, as a consumer would, without keeping it.</summary>
    private sealed class SummingSink : IRecordSink
    {
        public long Sum { get; private set; }

        public void OnNull(int field) => Sum++;

        public void OnBoolean(int field, bool value) => Sum += value ? 1 : 0;

        public void OnInt(int field, int value) => Sum += value;

        public void OnLong(int field, long value) => Sum += value;

        public void OnFloat(int field, float value) => Sum += (long)value;

        public void OnDouble(int field, double value) => Sum += (long)value;

        public void OnBytes(int field, ReadOnlySpan<byte> value) => Sum += value.Length;

        public void OnString(int field, ReadOnlySpan<byte> utf8) => Sum += utf8.Length;

        public void OnEnum(int field, int index, string symbol) => Sum += index;

        public void OnFixed(int field, ReadOnlySpan<byte> value) => Sum += value.Length;

        public void OnValue(int field, object? value) => Sum++;
    }
}
