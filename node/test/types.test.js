'use strict';

// The TypeScript side: types/contract.d.ts must be what scripts/gen-types.js
// makes from the library's JSON Schema today (regenerated into a temp file
// and compared), and `tsc --noEmit` must accept index.d.ts, the generated
// types and the typed usage example (test/typecheck/usage.ts).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '..');
const SCHEMA = path.resolve(PACKAGE, '..', 'include', 'temporal_bridge.schema.json');
const COMMITTED = path.join(PACKAGE, 'types', 'contract.d.ts');

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: PACKAGE, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

test('types/contract.d.ts is up to date with include/temporal_bridge.schema.json', async () => {
  assert.ok(
    fs.existsSync(SCHEMA),
    `the contract schema ${SCHEMA} is missing, so types/contract.d.ts cannot be checked ` +
      `(it comes with the library: include/temporal_bridge.schema.json); once it exists run \`npm run gen-types\``,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-node-types-'));
  try {
    const fresh = path.join(dir, 'contract.d.ts');
    const { code, output } = await run([path.join('scripts', 'gen-types.js'), '--schema', SCHEMA, '--out', fresh]);
    assert.equal(code, 0, `scripts/gen-types.js failed:\n${output}`);
    assert.ok(fs.existsSync(COMMITTED), `${COMMITTED} is missing: run \`npm run gen-types\` and commit it`);
    const expected = fs.readFileSync(fresh, 'utf8');
    const actual = fs.readFileSync(COMMITTED, 'utf8');
    if (actual !== expected) {
      const a = actual.split('\n');
      const e = expected.split('\n');
      let line = 0;
      while (line < a.length && a[line] === e[line]) line++;
      assert.fail(
        `types/contract.d.ts is stale: the schema changed. Run \`npm run gen-types\` and commit the result.\n` +
          `First difference at line ${line + 1}:\n  committed:   ${a[line] ?? '<end>'}\n  regenerated: ${e[line] ?? '<end>'}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tsc --noEmit accepts index.d.ts, the generated types and the typed usage example', async () => {
  assert.ok(fs.existsSync(COMMITTED), `${COMMITTED} is missing: run \`npm run gen-types\``);
  const tsc = require.resolve('typescript/bin/tsc');
  const { code, output } = await run([tsc, '--noEmit', '-p', 'tsconfig.json']);
  assert.equal(code, 0, `tsc found errors:\n${output}`);
});
