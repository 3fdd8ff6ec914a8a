// An independent Avro implementation (npm avsc) for the tests to compare against.
// Usage: node oracle.js <command> [args]; requests are JSON lines on stdin, answers JSON lines on stdout.
//   encode          {"schema", "datum"}           -> {"hex"}      datum in Avro's JSON encoding
//   decode          {"schema", "hex"}             -> {"datum"}
//   resolve         {"writer", "reader", "hex"}   -> {"datum"}    read with the reader's schema
//   read-container  <file>                        -> {"datum"} per record, then {"schema"}
//   write-container <schema file> <out> <codec>   stdin: one datum (JSON encoding) per line
// A request that avsc refuses answers {"error"}.
'use strict';
const avro = require('avsc');
const fs = require('fs');
const readline = require('readline');

const command = process.argv[2];
const types = new Map();
const type = (schema) => {
  const key = JSON.stringify(schema);
  if (!types.has(key)) types.set(key, avro.Type.forSchema(schema));
  return types.get(key);
};
const answer = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function lines() {
  const out = [];
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim()) out.push(line);
  }
  return out;
}

async function main() {
  if (command === 'read-container') {
    const decoder = avro.createFileDecoder(process.argv[3]);
    let schema;
    decoder.on('metadata', (t) => { schema = t; });
    decoder.on('data', (v) => answer({ datum: JSON.parse(schema.toString(v)) }));
    await new Promise((resolve, reject) => { decoder.on('end', resolve); decoder.on('error', reject); });
    answer({ schema: schema.schema() });
    return;
  }
  if (command === 'write-container') {
    const t = type(JSON.parse(fs.readFileSync(process.argv[3], 'utf8')));
    const encoder = new avro.streams.BlockEncoder(t, { codec: process.argv[5] || 'null' });
    const out = fs.createWriteStream(process.argv[4]);
    const closed = new Promise((resolve, reject) => { out.on('close', resolve); out.on('error', reject); });
    encoder.pipe(out);
    for (const line of await lines()) encoder.write(t.fromString(line));
    encoder.end();
    await closed;
    return;
  }
  for (const line of await lines()) {
    const request = JSON.parse(line);
    try {
      if (command === 'encode') {
        const t = type(request.schema);
        answer({ hex: t.toBuffer(t.fromString(JSON.stringify(request.datum))).toString('hex') });
      } else if (command === 'decode') {
        const t = type(request.schema);
        answer({ datum: JSON.parse(t.toString(t.fromBuffer(Buffer.from(request.hex, 'hex')))) });
      } else if (command === 'resolve') {
        const reader = type(request.reader);
        const resolver = reader.createResolver(type(request.writer));
        answer({ datum: JSON.parse(reader.toString(reader.fromBuffer(Buffer.from(request.hex, 'hex'), resolver))) });
      } else {
        throw new Error('unknown command ' + command);
      }
    } catch (e) {
      answer({ error: e.message });
    }
  }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
