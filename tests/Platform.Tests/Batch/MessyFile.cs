using System.Text;

namespace Platform.Tests.Batch;

/// <summary>
/// A tenant-A file with the defects the seed's staged files had, and the counts ingesting it must give.
/// Lines are CRLF with a BOM; every good row has its own key except the last, which overwrites the first.
/// </summary>
public static class MessyFile
{
    public const string Header = "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash";

    public static byte[] Build()
    {
        var lines = new List<string> { Header };
        for (var i = 1; i <= 40; i++)
        {
            lines.Add($"1,{i},2026-03-01,08:00:{i % 60:D2},{50 + (i % 30)}.5,{1 + (i % 3)},car,h{i}");
        }

        lines.Add("");
        lines.Add(Header);
        for (var i = 1; i <= 10; i++)
        {
            lines.Add($"2,{i},2026-03-02,09:10:{i:D2},61.25,,truck,");
        }

        lines.Add(Header + "7,1,2026-03-01,08:00:00,50,1,car,");
        for (var i = 1; i <= 10; i++)
        {
            lines.Add($"4,{i},2026-03-03,8.05.{i:D2},70,2,bus,");
        }

        lines.Add("5,1700000000123,2026-03-01,08:00:00,50,1,car,");
        lines.Add("5,123456789012345678901,2026-03-01,08:00:00,50,1,car,");
        lines.Add("5,3,2026-03-01,08:00:00,-5,1,car,");
        lines.Add("5,4,2026-03-01,08:00:00,50,1,spaceship,");
        lines.Add("3,1,2026-03-01,08:00:00,50,1,car,\"a,b\r\nc\"");
        lines.Add("5,5,2026-03-01,08:00:00,50,1,car");
        lines.Add("1,1,2026-03-01,08:00:01,99.5,1,car,latest");
        return Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(string.Join("\r\n", lines) + "\r\n")).ToArray();
    }

    /// <summary>Ingested as it is: the platform counts and explains every defect.</summary>
    public static class AsIs
    {
        public const long Read = 68;
        public const long Skipped = 2;
        public const long Quarantined = 16;
        public const long Loaded = 52;
        public const int DistinctRows = 51;

        public static readonly Dictionary<string, int> ByRule = new()
        {
            ["glued_header"] = 1, ["type"] = 11, ["type_range"] = 2, ["validity"] = 1, ["field_count"] = 1,
        };
    }

    /// <summary>After the sample batch app: repeated header dropped, glued row split off, times normalised.</summary>
    public static class AfterApp
    {
        public const long Read = 68;
        public const long Skipped = 1;
        public const long Quarantined = 5;
        public const long Loaded = 63;
        public const int DistinctRows = 62;

        public static readonly Dictionary<string, int> ByRule = new()
        {
            ["type"] = 1, ["type_range"] = 2, ["validity"] = 1, ["field_count"] = 1,
        };
    }
}
