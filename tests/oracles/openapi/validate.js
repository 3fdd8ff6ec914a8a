// Validates the OpenAPI document on stdin against the OpenAPI schema and its references; prints its version and
// operation count, or the validator's error (exit 1).
const SwaggerParser = require("@apidevtools/swagger-parser");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  try {
    const api = await SwaggerParser.validate(JSON.parse(input));
    const operations = Object.values(api.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== "parameters").length, 0);
    console.log(JSON.stringify({ openapi: api.openapi, operations }));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
});
