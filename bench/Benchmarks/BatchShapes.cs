using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Benchmarks;

/// <summary>
/// A kind of file tenants bring: its data configuration (the seed's documents as written, only
/// <c>max_file_size_mb</c> raised to take a million rows; tenant B's <c>file_type</c> is <c>tsv</c> because its
/// files are, and its agreement's CPU limit is "1" where the seed's "1Gi" is refused), the sqlite3 table and import commands of the baseline, and a generator of its rows.
/// </summary>
internal sealed record BatchShape(string Label, string Tenant, JsonObject Dataset, JsonObject Agreement, string SqliteTable, string SqliteImport,
    Func<Random, long, bool, string> Row, string Header, bool Shuffle = false)
{
    public string DatasetName => Dataset["name"]!.GetValue<string>();

    /// <summary>Writes the header and rows until <paramref name="rows"/> or <paramref name="targetBytes"/>; a share of them bad; returns the rows written.</summary>
    public long Generate(string path, long rows = long.MaxValue, double badShare = 0, long targetBytes = long.MaxValue)
    {
        var random = new Random(42);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20);
        writer.Write(Header);
        writer.Write('\n');
        if (Shuffle)
        {
            var lines = new List<string>();
            for (long i = 0; i < rows; i++)
            {
                lines.Add(Row(random, i, random.NextDouble() < badShare));
            }

            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lines));
            lines.ForEach(writer.Write);
            return lines.Count;
        }

        long written = 0;
        for (long i = 0; i < rows && stream.Position < targetBytes; i++)
        {
            writer.Write(Row(random, i, random.NextDouble() < badShare));
            written++;
        }

        return written;
    }

    private static JsonObject Seed(string root, string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(root, "schemas", "examples", "seed", name + ".json")))!.AsObject();

    /// <summary>Provinces, in the codes an operator's dumps use.</summary>
    private static readonly string[] Provinces =
        ["AGG", "BDH", "BNH", "CMU", "CTO", "DAK", "DNG", "DNI", "GLI", "HCM", "HNI", "HPG", "HUE", "KHA", "LAN", "LDG", "NAN", "QNH", "THA", "VPC"];

    /// <summary>
    /// Tenant A as in the seed: an ONU traffic dump, one row per (province, device, ONU), written device by device
    /// (the order a device dump produces); 20 provinces, 13-digit device ids, 100 ONUs per device. ONUID is an int
    /// in the seed's schema, so the ids are ints. Bad rows: a text where an int goes, a speed that is not a
    /// number, a missing field, an ONU id past int.
    /// </summary>
    public static BatchShape SeedA(string root, bool shuffled = false)
    {
        var dataset = Seed(root, "tenant_a_dataset");
        dataset["max_file_size_mb"] = 4096;
        return new BatchShape(shuffled ? "(2) seed tenant A, rows shuffled" : "(1) seed tenant A, device order", "client_a", dataset, Seed(root, "tenant_a_agreement"),
            "CREATE TABLE t (PROVINCECODE TEXT NOT NULL, DEVICEID TEXT NOT NULL, IFINDEX INTEGER, FRAME INTEGER, SLOT INTEGER, PORT INTEGER, ONUINDEX INTEGER, " +
            "ONUID INTEGER NOT NULL, TIME TEXT, SPEEDIN REAL, SPEEDOUT REAL, PRIMARY KEY (PROVINCECODE, DEVICEID, ONUID)) WITHOUT ROWID;",
            ".import --csv --skip 1 '{0}' t",
            (random, i, bad) =>
            {
                const int OnusPerDevice = 100, DevicesPerProvince = 500;
                var onu = (int)(i % OnusPerDevice);
                var device = i / OnusPerDevice;
                var province = Provinces[(int)(device / DevicesPerProvince % Provinces.Length)];
                var kind = bad ? random.Next(4) : -1;
                var frame = random.Next(0, 2);
                var slot = random.Next(1, 17);
                var port = random.Next(1, 17);
                var text = new StringBuilder(96);
                text.Append(province).Append(',').Append((8_400_000_000_000L + device * 7919).ToString(CultureInfo.InvariantCulture)).Append(',');
                text.Append(kind == 0 ? "if-12" : (frame * 1_000_000 + slot * 1000 + port).ToString(CultureInfo.InvariantCulture)).Append(',');
                text.Append(frame).Append(',').Append(slot).Append(',').Append(port).Append(',').Append(onu % 128).Append(',');
                text.Append(kind == 3 ? "21474836470" : (268_435_456 + onu).ToString(CultureInfo.InvariantCulture));
                text.Append(",2026-03-01 ").Append((i / 7 % 24).ToString("D2", CultureInfo.InvariantCulture)).Append(':')
                    .Append((i % 60).ToString("D2", CultureInfo.InvariantCulture)).Append(":00,");
                text.Append(kind == 1 ? "fast" : (random.NextDouble() * 1000).ToString("F3", CultureInfo.InvariantCulture));
                if (kind != 2)
                {
                    text.Append(',').Append((random.NextDouble() * 200).ToString("F3", CultureInfo.InvariantCulture));
                }

                return text.Append('\n').ToString();
            },
            "PROVINCECODE,DEVICEID,IFINDEX,FRAME,SLOT,PORT,ONUINDEX,ONUID,TIME,SPEEDIN,SPEEDOUT", Shuffle: shuffled);
    }

    private static readonly string[] Words =
        ["great", "small", "kettle", "works", "as", "described", "the", "lid", "broke", "after", "a", "week", "colour", "warm", "sturdy", "base", "would", "buy",
         "again", "not", "worth", "price", "fast", "delivery", "box", "was", "damaged", "but", "item", "fine", "my", "kids", "love", "it", "battery", "lasts"];

    private static readonly string[] Categories = ["Kitchen", "Home", "Toys", "Electronics", "Books", "Garden", "Sports", "Beauty"];

    /// <summary>
    /// Tenant B's reviews as in the seed (every field a string, key product_id, review_id, customer_id), as a TSV
    /// export: long titles and bodies, some with quotes and tabs inside (then the field is quoted, quotes doubled).
    /// </summary>
    public static BatchShape SeedB(string root)
    {
        var dataset = Seed(root, "tenant_b_dataset");
        dataset["file_type"] = "tsv";
        dataset["max_file_size_mb"] = 4096;
        static string Text(Random random, int words, bool odd)
        {
            var text = new StringBuilder(words * 7);
            for (var w = 0; w < words; w++)
            {
                text.Append(w == 0 ? "" : " ").Append(Words[random.Next(Words.Length)]);
            }

            if (!odd)
            {
                return text.ToString();
            }

            text.Insert(text.Length / 2, " \"really\"\t");
            return "\"" + text.ToString().Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        }

        var agreement = Seed(root, "tenant_b_agreement");
        agreement["resources"]!["limits"]!["cpu"] = "1";
        return new BatchShape("(3) seed tenant B reviews, TSV", "client_b", dataset, agreement,
            "CREATE TABLE t (marketplace TEXT, customer_id TEXT NOT NULL, review_id TEXT NOT NULL, product_id TEXT NOT NULL, product_parent TEXT, product_title TEXT, " +
            "product_category TEXT, star_rating INTEGER, helpful_votes INTEGER, total_votes INTEGER, vine TEXT, verified_purchase TEXT, review_headline TEXT, " +
            "review_body TEXT, review_date TEXT, PRIMARY KEY (product_id, review_id, customer_id)) WITHOUT ROWID;",
            ".mode csv\n.separator \"\\t\"\n.import --skip 1 '{0}' t",
            (random, i, _) =>
            {
                var votes = random.Next(0, 40);
                return string.Join('\t', "US", random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture), "R" + i.ToString("X12", CultureInfo.InvariantCulture),
                    "B0" + random.Next(0, 200_000).ToString("D8", CultureInfo.InvariantCulture), random.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture),
                    Text(random, random.Next(8, 20), random.Next(20) == 0), Categories[random.Next(Categories.Length)], random.Next(1, 6).ToString(CultureInfo.InvariantCulture),
                    random.Next(0, votes + 1).ToString(CultureInfo.InvariantCulture), votes.ToString(CultureInfo.InvariantCulture), random.Next(50) == 0 ? "Y" : "N",
                    random.Next(4) == 0 ? "N" : "Y", Text(random, random.Next(2, 8), false), Text(random, random.Next(30, 90), random.Next(10) == 0),
                    $"2026-{random.Next(1, 13):D2}-{random.Next(1, 29):D2}") + "\n";
            },
            "marketplace\tcustomer_id\treview_id\tproduct_id\tproduct_parent\tproduct_title\tproduct_category\tstar_rating\thelpful_votes\ttotal_votes\tvine\tverified_purchase\treview_headline\treview_body\treview_date");
    }

    private static readonly string[] Classes = ["car", "truck", "bus", "motorcycle", "other"];

    /// <summary>The project's example tenant A (sensor readings: 8 small columns, key sensor_id, reading_id in random order, quality rules).</summary>
    public static BatchShape Readings(string root)
    {
        JsonObject Example(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(root, "schemas", "examples", "client_a", name + ".json")))!.AsObject();
        var dataset = Example("dataset");
        dataset["max_file_size_mb"] = 4096;
        var agreement = Example("agreement");
        agreement.Remove("batch_app");
        agreement["client"] = "readings";
        return new BatchShape("(4) example sensor readings, random keys", "readings", dataset, agreement,
            "CREATE TABLE t (sensor_id INTEGER NOT NULL, reading_id INTEGER NOT NULL, date TEXT, time TEXT, speed_kmh REAL, lane INTEGER, " +
            "vehicle_class TEXT, plate_hash TEXT, PRIMARY KEY (sensor_id, reading_id)) WITHOUT ROWID;",
            ".import --csv --skip 1 '{0}' t",
            (random, i, bad) =>
            {
                var kind = bad ? random.Next(4) : -1;
                var text = new StringBuilder(64);
                text.Append(random.Next(1, 5001)).Append(',').Append(kind == 0 ? "1700000000123" : (i + 1).ToString(CultureInfo.InvariantCulture));
                text.Append(",2026-03-").Append((1 + random.Next(28)).ToString("D2", CultureInfo.InvariantCulture));
                text.Append(kind == 1 ? ",8.05.09," : $",{random.Next(24):D2}:{random.Next(60):D2}:{random.Next(60):D2},");
                text.Append(kind == 2 ? "-3.5" : (random.NextDouble() * 130).ToString("F2", CultureInfo.InvariantCulture));
                text.Append(random.Next(4) == 0 ? "," : $",{random.Next(1, 4)}").Append(',');
                text.Append(kind == 3 ? "spaceship" : Classes[random.Next(Classes.Length)]);
                return text.Append(random.Next(3) == 0 ? ",\n" : $",{random.Next():x8}\n").ToString();
            },
            "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash");
    }
}
