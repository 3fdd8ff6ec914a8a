// Reads JSON lines {"type": "<cql type>", "value": <json>} and answers {"hex": "<encoded bytes>"} per line,
// using cassandra-driver's Encoder for protocol v4. Values arrive as JSON and are turned into the driver's
// types first: bigint/counter/varint as decimal strings, decimal as "unscaled:scale", uuid as text, date as
// yyyy-mm-dd, time as nanoseconds (string), timestamp as ms, blob as hex, inet as text.
const { types, Encoder } = require('cassandra-driver');
const readline = require('readline');
const encoder = new Encoder(types.protocolVersion.v4, {});

function parseType(text) {
  text = text.trim();
  const open = text.indexOf('<');
  if (open < 0) {
    const code = { text: 'varchar', ascii: 'ascii', bigint: 'bigint', blob: 'blob', boolean: 'boolean', counter: 'counter', decimal: 'decimal',
      double: 'double', float: 'float', int: 'int', timestamp: 'timestamp', uuid: 'uuid', timeuuid: 'timeuuid', varint: 'varint', inet: 'inet',
      date: 'date', time: 'time', smallint: 'smallint', tinyint: 'tinyint' }[text];
    return { code: types.dataTypes[code] };
  }
  const outer = text.slice(0, open);
  const inner = text.slice(open + 1, -1);
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '<') depth++;
    else if (inner[i] === '>') depth--;
    else if (inner[i] === ',' && depth === 0) { parts.push(inner.slice(start, i)); start = i + 1; }
  }
  parts.push(inner.slice(start));
  const args = parts.map(parseType);
  return { code: types.dataTypes[outer], info: outer === 'map' ? args : args[0] };
}

function toDriver(type, value) {
  if (value === null) return null;
  switch (type.code) {
    case types.dataTypes.bigint: case types.dataTypes.counter: return types.Long.fromString(value);
    case types.dataTypes.varint: return types.Integer.fromString(value);
    case types.dataTypes.decimal: { const [u, s] = value.split(':'); return new types.BigDecimal(types.Integer.fromString(u), parseInt(s, 10)); }
    case types.dataTypes.uuid: return types.Uuid.fromString(value);
    case types.dataTypes.timeuuid: return types.TimeUuid.fromString(value);
    case types.dataTypes.date: return types.LocalDate.fromString(value);
    case types.dataTypes.time: return new types.LocalTime(types.Long.fromString(value));
    case types.dataTypes.timestamp: return new Date(value);
    case types.dataTypes.blob: return Buffer.from(value, 'hex');
    case types.dataTypes.inet: return types.InetAddress.fromString(value);
    case types.dataTypes.list: case types.dataTypes.set: return value.map((v) => toDriver(type.info, v));
    case types.dataTypes.map: { const m = {}; for (const [k, v] of value) m[k] = toDriver(type.info[1], v); return m; }
    default: return value;
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  const type = parseType(request.type);
  const encoded = encoder.encode(toDriver(type, request.value), type);
  process.stdout.write(JSON.stringify({ hex: encoded === null ? null : encoded.toString('hex') }) + '\n');
});
