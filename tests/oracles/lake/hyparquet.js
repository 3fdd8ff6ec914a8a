// Reads Parquet files with hyparquet: node hyparquet.js <file>...; prints {rows, columns, values: [[...]]} for all files as JSON.
const fs = require('fs');
(async () => {
  const { parquetReadObjects, parquetMetadata } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const out = { rows: [], schema: null };
  for (const path of process.argv.slice(2)) {
    const buffer = fs.readFileSync(path);
    const file = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    out.schema = parquetMetadata(file).schema.map((s) => ({ name: s.name, type: s.type ?? null, repetition: s.repetition_type ?? null, logical: s.logical_type?.type ?? s.converted_type ?? null }));
    out.rows.push(...await parquetReadObjects({ file, compressors }));
  }
  console.log(JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v)));
})().catch((e) => { console.error(e); process.exit(1); });
