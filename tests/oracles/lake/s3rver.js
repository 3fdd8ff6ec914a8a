// Starts s3rver on 127.0.0.1: node s3rver.js <port> <directory> <bucket>; prints "listening <port>" once it serves.
const S3rver = require('s3rver');
const [port, directory, bucket] = process.argv.slice(2);
new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true, configureBuckets: [{ name: bucket }] })
  .run()
  .then((address) => console.log(`listening ${address.port}`))
  .catch((e) => { console.error(e); process.exit(1); });
