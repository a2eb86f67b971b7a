// Validates AsyncAPI documents with the official parser: `node validate.mjs FILE...`.
// Exit 1 when any document has an error diagnostic. With --expect-error POINTER
// the single document given must have an error at that JSON pointer (proof
// that the parser really validates payload schemas rather than skipping them).
import fs from 'node:fs';
import { Parser } from '@asyncapi/parser';

const args = process.argv.slice(2);
let expect = null;
if (args[0] === '--expect-error') {
  expect = args[1];
  args.splice(0, 2);
}
const parser = new Parser();
let bad = 0;
for (const file of args) {
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'));
  const errors = diagnostics.filter((d) => d.severity === 0);
  const where = (d) => '/' + (d.path || []).join('/');
  if (expect !== null) {
    const hit = errors.find((d) => where(d).startsWith(expect));
    if (!hit) {
      console.error(`${file}: expected an error at ${expect}; got ${errors.map(where).join(', ') || 'none'}`);
      process.exit(1);
    }
    console.log(`${file}: the parser rejects the broken payload at ${where(hit)}: ${hit.message}`);
    continue;
  }
  if (errors.length > 0 || !document) {
    bad += 1;
    for (const d of errors) console.error(`${file}: ${where(d)}: ${d.message}`);
  } else {
    const channels = document.channels().length;
    const messages = document.components().messages().length;
    console.log(`${file}: valid AsyncAPI ${document.version()} (${channels} channels, ${messages} messages)`);
  }
}
process.exit(bad > 0 ? 1 : 0);
