namespace Mysimbdp.Avro.Tests;

/// <summary>Every case of Avro's schema-tests.txt: the parsing canonical form and, where given, the fingerprint.</summary>
public sealed class SchemaTestsFileTests
{
    public sealed record SchemaCase(string Id, string Input, string Canonical, long? Fingerprint)
    {
        public override string ToString() => Id;
    }

    /// <summary>Reads the file's format: "// NNN", then "&lt;&lt;INPUT ..." on one line or up to a line "INPUT", "&lt;&lt;canonical", "&lt;&lt;fingerprint".</summary>
    public static IReadOnlyList<SchemaCase> Cases()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Reference", "schema-tests.txt"));
        var cases = new List<SchemaCase>();
        string? id = null, input = null, canonical = null;
        long? fingerprint = null;
        void Flush()
        {
            if (id is not null && input is not null && canonical is not null)
            {
                cases.Add(new SchemaCase(id, input, canonical, fingerprint));
            }

            (input, canonical, fingerprint) = (null, null, null);
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("// ", StringComparison.Ordinal) && line[3..].Trim().All(char.IsAsciiDigit) && line.Length > 3)
            {
                Flush();
                id = line[3..].Trim();
            }
            else if (line == "<<INPUT")
            {
                var body = new List<string>();
                while (lines[++i] != "INPUT")
                {
                    body.Add(lines[i]);
                }

                input = string.Join("\n", body);
            }
            else if (line.StartsWith("<<INPUT ", StringComparison.Ordinal))
            {
                input = line["<<INPUT ".Length..];
            }
            else if (line.StartsWith("<<canonical ", StringComparison.Ordinal))
            {
                canonical = line["<<canonical ".Length..];
            }
            else if (line.StartsWith("<<fingerprint ", StringComparison.Ordinal))
            {
                fingerprint = long.Parse(line["<<fingerprint ".Length..]);
            }
        }

        Flush();
        return cases;
    }

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases())
        {
            data.Add(c.Id);
        }

        return data;
    }

    [Fact]
    public void TheFileHoldsEveryCase() => Assert.True(Cases().Count >= 34, $"only {Cases().Count} cases were read");

    [Theory]
    [MemberData(nameof(All))]
    public void CanonicalFormAndFingerprintMatchTheReference(string id)
    {
        var c = Cases().Single(x => x.Id == id);
        var schema = Schema.Parse(c.Input);
        Assert.Equal(c.Canonical, schema.CanonicalForm);
        if (c.Fingerprint is { } fingerprint)
        {
            Assert.Equal(fingerprint, schema.Fingerprint64);
        }

        Assert.Equal(c.Canonical, Schema.Parse(c.Canonical).CanonicalForm);
        Assert.Equal(c.Canonical, Schema.Parse(schema.ToJson()).CanonicalForm);
    }
}
