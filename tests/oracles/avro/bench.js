// Times avsc encoding and decoding the records in a file (first line: schema; then one record per line in
// Avro's JSON encoding). Same method as the C# side: one warm-up, median of three, into one buffer.
'use strict';
const avro = require('avsc');
const crypto = require('crypto');
const fs = require('fs');

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.length > 0);
const type = avro.Type.forSchema(JSON.parse(lines[0]));
const records = lines.slice(1).map((l) => type.fromString(l));
const buffer = Buffer.alloc(records.length * 64);

function median(fn) {
  fn();
  const times = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[1];
}

let length = 0;
const encodeMs = median(() => {
  let pos = 0;
  for (const record of records) pos = type.encode(record, buffer, pos);
  length = pos;
});
let sum = 0;
const decodeMs = median(() => {
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const result = type.decode(buffer, pos);
    pos = result.offset;
    sum += result.value.sensor_id;
  }
});
const sha256 = crypto.createHash('sha256').update(buffer.subarray(0, length)).digest('hex');
process.stdout.write(JSON.stringify({ encode_ms: encodeMs, decode_ms: decodeMs, bytes: length, sha256, sum }) + '\n');
