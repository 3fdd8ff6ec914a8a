using System.Buffers.Binary;
using System.Collections;
using System.IO.Hashing;
using System.Text.Json.Nodes;
using Mysimbdp.Avro;
using ApacheCodec = global::Avro.File.Codec;
using ApacheEnum = global::Avro.Generic.GenericEnum;
using ApacheEnumSchema = global::Avro.EnumSchema;
using ApacheFixed = global::Avro.Generic.GenericFixed;
using ApacheFixedSchema = global::Avro.FixedSchema;
using ApacheRecord = global::Avro.Generic.GenericRecord;
using ApacheRecordSchema = global::Avro.RecordSchema;
using ApacheSchema = global::Avro.Schema;

namespace Mysimbdp.Tests.Oracles;

/// <summary>
/// Apache.Avro (the Apache Software Foundation's C# implementation) as an oracle for the project's Avro library:
/// its schemas, generic datums, binary encoding and container files, with our datums converted to and from its
/// generic model. Logical types are left out of the schemas it encodes with (they do not change the bytes, and its
/// logical-type conversions would only test this converter). Snappy and Zstandard are registered as it expects
/// (<see cref="ApacheCodec.RegisterResolver"/>), on Snappier and ZstdSharp.
/// </summary>
public static class ApacheAvro
{
    private static readonly Lazy<bool> Codecs = new(() =>
    {
        ApacheCodec.RegisterResolver(name => name switch
        {
            "snappy" => new SnappyCodec(),
            "zstandard" => new ZstandardCodec(),
            _ => null,
        });
        return true;
    });

    public static ApacheSchema Parse(Schema ours) => ParseWithoutLogicalTypes(ours.ToJson());

    /// <summary>
    /// Reads a container file with Apache.Avro's <c>DataFileReader</c>, its records as datums of <paramref name="schema"/>
    /// in our model. The file's own schema is handed to Apache.Avro without its logical types, as everywhere here.
    /// </summary>
    public static List<object?> ReadContainer(Stream stream, Schema schema, out string codec)
    {
        _ = Codecs.Value;
        var reader = Parse(schema);
        using var file = global::Avro.File.DataFileReader<object?>.OpenReader(stream, reader,
            (writer, _) => new global::Avro.Generic.GenericDatumReader<object?>(Strip(writer), reader), leaveOpen: true);
        codec = file.GetMetaString("avro.codec");
        return file.NextEntries.Select(e => FromApache(schema, e)).ToList();
    }

    private static ApacheSchema Strip(ApacheSchema schema) => ParseWithoutLogicalTypes(schema.ToString());

    private static ApacheSchema ParseWithoutLogicalTypes(string schema)
    {
        var json = JsonNode.Parse(schema)!;
        StripLogicalTypes(json);
        return ApacheSchema.Parse(json.ToJsonString());
    }

    /// <summary>The codec named as in container files, for <c>DataFileWriter.OpenWriter</c>.</summary>
    public static ApacheCodec Codec(string name)
    {
        _ = Codecs.Value;
        return name switch
        {
            "snappy" => new SnappyCodec(),
            "zstandard" => new ZstandardCodec(),
            _ => ApacheCodec.CreateCodecFromString(name),
        };
    }

    public static byte[] Encode(ApacheSchema schema, object? datum)
    {
        using var stream = new MemoryStream();
        new global::Avro.Generic.GenericDatumWriter<object?>(schema).Write(datum, new global::Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    public static object? Decode(ApacheSchema writer, ApacheSchema reader, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var decoder = new global::Avro.IO.BinaryDecoder(stream);
        var value = new global::Avro.Generic.GenericDatumReader<object?>(writer, reader).Read(null, decoder);
        return stream.Position == bytes.Length ? value : throw new InvalidOperationException($"Apache.Avro left {bytes.Length - stream.Position} bytes unread.");
    }

    /// <summary>Our generic datum as Apache.Avro's (records, enums and fixed of its schema; arrays as object[]).</summary>
    public static object? ToApache(ApacheSchema schema, object? value)
    {
        switch (schema)
        {
            case global::Avro.UnionSchema union:
                return ToApache(union.Schemas.First(branch => Matches(branch, value)), value);
            case ApacheRecordSchema record:
                var ours = (GenericRecord)value!;
                var result = new ApacheRecord(record);
                foreach (var field in record.Fields)
                {
                    result.Add(field.Name, ToApache(field.Schema, ours[field.Name]));
                }

                return result;
            case ApacheEnumSchema e:
                return new ApacheEnum(e, value is GenericEnumSymbol s ? s.Symbol : (string)value!);
            case ApacheFixedSchema f:
                return new ApacheFixed(f, value is GenericFixed fixedValue ? fixedValue.Value : (byte[])value!);
            case global::Avro.ArraySchema a:
                return ((IEnumerable)value!).Cast<object?>().Select(item => ToApache(a.ItemSchema, item)).ToArray();
            case global::Avro.MapSchema m:
                return ((IDictionary<string, object?>)value!).ToDictionary(p => p.Key, p => ToApache(m.ValueSchema, p.Value));
            default:
                return value;
        }
    }

    /// <summary>Apache.Avro's generic datum in our model, as a datum of <paramref name="schema"/>.</summary>
    public static object? FromApache(Schema schema, object? value)
    {
        switch (schema)
        {
            case UnionSchema union:
                return FromApache(union.Branches.First(branch => MatchesOurs(branch, value)), value);
            case RecordSchema record:
                var theirs = (ApacheRecord)value!;
                return new GenericRecord(record, record.Fields.Select(f => FromApache(f.Schema, theirs[f.Name])).ToArray());
            case EnumSchema e:
                return new GenericEnumSymbol(e, ((ApacheEnum)value!).Value);
            case FixedSchema f:
                return new GenericFixed(f, ((ApacheFixed)value!).Value);
            case ArraySchema a:
                return ((IEnumerable)value!).Cast<object?>().Select(item => FromApache(a.Items, item)).ToList();
            case MapSchema m:
                return ((IDictionary<string, object?>)value!).ToDictionary(p => p.Key, p => FromApache(m.Values, p.Value));
            default:
                return value;
        }
    }

    private static bool Matches(ApacheSchema branch, object? value) => branch.Tag switch
    {
        ApacheSchema.Type.Null => value is null,
        ApacheSchema.Type.Boolean => value is bool,
        ApacheSchema.Type.Int => value is int,
        ApacheSchema.Type.Long => value is long,
        ApacheSchema.Type.Float => value is float,
        ApacheSchema.Type.Double => value is double,
        ApacheSchema.Type.Bytes => value is byte[],
        ApacheSchema.Type.String => value is string,
        ApacheSchema.Type.Record => value is GenericRecord r && r.Schema.FullName == ((ApacheRecordSchema)branch).Fullname,
        ApacheSchema.Type.Enumeration => value is GenericEnumSymbol s && s.Schema.FullName == ((ApacheEnumSchema)branch).Fullname,
        ApacheSchema.Type.Fixed => value is GenericFixed f && f.Schema.FullName == ((ApacheFixedSchema)branch).Fullname,
        ApacheSchema.Type.Array => value is IList,
        ApacheSchema.Type.Map => value is IDictionary,
        _ => false,
    };

    private static bool MatchesOurs(Schema branch, object? value) => branch switch
    {
        RecordSchema r => value is ApacheRecord ar && ar.Schema.Fullname == r.FullName,
        EnumSchema e => value is ApacheEnum ae && ae.Schema.Fullname == e.FullName,
        FixedSchema f => value is ApacheFixed af && af.Schema.Fullname == f.FullName,
        ArraySchema => value is Array,
        MapSchema => value is IDictionary,
        _ => branch.Kind switch
        {
            SchemaKind.Null => value is null,
            SchemaKind.Boolean => value is bool,
            SchemaKind.Int => value is int,
            SchemaKind.Long => value is long,
            SchemaKind.Float => value is float,
            SchemaKind.Double => value is double,
            SchemaKind.Bytes => value is byte[],
            SchemaKind.String => value is string,
            _ => false,
        },
    };

    private static void StripLogicalTypes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("logicalType");
                foreach (var (_, child) in o.ToList())
                {
                    StripLogicalTypes(child);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    StripLogicalTypes(child);
                }

                break;
        }
    }

    /// <summary>The spec's snappy codec: Snappy's raw format, then the big-endian CRC-32 of the uncompressed bytes.</summary>
    private sealed class SnappyCodec : ApacheCodec
    {
        public override byte[] Compress(byte[] uncompressedData)
        {
            var output = new byte[Snappier.Snappy.GetMaxCompressedLength(uncompressedData.Length) + 4];
            var length = Snappier.Snappy.Compress(uncompressedData, output);
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(length), Crc32.HashToUInt32(uncompressedData));
            return output[..(length + 4)];
        }

        public override void Compress(MemoryStream inputStream, MemoryStream outputStream)
        {
            var compressed = Compress(inputStream.ToArray());
            outputStream.SetLength(0);
            outputStream.Write(compressed);
        }

        public override byte[] Decompress(byte[] compressedData, int length)
        {
            var data = compressedData.AsSpan(0, length - 4);
            var output = Snappier.Snappy.DecompressToArray(data);
            if (Crc32.HashToUInt32(output) != BinaryPrimitives.ReadUInt32BigEndian(compressedData.AsSpan(length - 4, 4)))
            {
                throw new InvalidDataException("snappy block fails its CRC-32 check");
            }

            return output;
        }

        public override string GetName() => "snappy";

        public override bool Equals(object? other) => other is SnappyCodec;

        public override int GetHashCode() => 1;
    }

    private sealed class ZstandardCodec : ApacheCodec
    {
        public override byte[] Compress(byte[] uncompressedData)
        {
            using var compressor = new ZstdSharp.Compressor();
            return compressor.Wrap(uncompressedData).ToArray();
        }

        public override void Compress(MemoryStream inputStream, MemoryStream outputStream)
        {
            var compressed = Compress(inputStream.ToArray());
            outputStream.SetLength(0);
            outputStream.Write(compressed);
        }

        public override byte[] Decompress(byte[] compressedData, int length)
        {
            using var input = new ZstdSharp.DecompressionStream(new MemoryStream(compressedData, 0, length));
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }

        public override string GetName() => "zstandard";

        public override bool Equals(object? other) => other is ZstandardCodec;

        public override int GetHashCode() => 2;
    }
}
