using DuckDB.NET.Data;

namespace Platform.Tests.Lake;

/// <summary>The judge of the lake's files: DuckDB's own Parquet reader, in process.</summary>
public static class DuckDb
{
    /// <summary>The rows a query gives, each as its values.</summary>
    public static List<object?[]> Query(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A count or sum as DuckDB returns it (BIGINT or HUGEINT) as a long.</summary>
    public static long Long(object? value) => value is System.Numerics.BigInteger big ? (long)big : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The one value of a one-row, one-column query.</summary>
    public static object? Scalar(string sql) => Assert.Single(Query(sql))[0];

    /// <summary>A <c>read_parquet</c> over every lake file of a dataset, with its Hive partitions as columns.</summary>
    public static string Files(string lakeRoot, string tenant, string dataset) =>
        $"read_parquet('{Path.Combine(lakeRoot, tenant, dataset)}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)";
}
