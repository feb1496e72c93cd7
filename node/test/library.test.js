'use strict';

// Loading the library, the ABI check, the error classes and the checks of JS
// input that happen before any native call. No server needed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const tb = require('..');

const PACKAGE = path.resolve(__dirname, '..');

/** Runs `code` in a fresh node process (cwd: the package) with `env` added; resolves to its JSON output line. */
function inChild(code, env) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', code],
      { cwd: PACKAGE, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err && !stdout) return reject(new Error(`child failed: ${err.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()));
        } catch {
          reject(new Error(`child printed no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const CONNECT_AND_REPORT = `
  const tb = require('.');
  tb.Client.connect({ target: '127.0.0.1:1', lazy: true }).then(
    () => console.log(JSON.stringify({ ok: true })),
    (err) => console.log(JSON.stringify({
      name: err.name, message: err.message, path: err.path,
      isLoadError: err instanceof tb.LibraryLoadError,
      isAbiError: err instanceof tb.AbiVersionError,
    })));
`;

test('the library loads and reports the ABI this package was written for', () => {
  const info = tb.libraryInfo();
  assert.equal(info.abiVersion, '1.0');
  assert.equal(tb.ABI_VERSION, '1.0');
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.path, tb._internal.libraryPath());
});

test('the default library path is the repository build, relative to the package', () => {
  assert.equal(tb._internal.DEFAULT_LIBRARY, path.resolve(PACKAGE, '..', 'target', 'debug', 'libtemporal_bridge.so'));
  assert.equal(tb._internal.ENV_VAR, 'TEMPORAL_BRIDGE_LIBRARY');
});

test('ABI versions: same major and a minor at least the package\'s pass, others throw AbiVersionError', () => {
  const { checkAbiVersion } = tb._internal;
  assert.equal(checkAbiVersion((1 << 16) | 0), '1.0');
  assert.equal(checkAbiVersion((1 << 16) | 7), '1.7');
  for (const [version, shown] of [
    [(2 << 16) | 0, '2.0'],
    [(0 << 16) | 9, '0.9'],
    [(3 << 16) | 1, '3.1'],
  ]) {
    assert.throws(
      () => checkAbiVersion(version, '/some/libtemporal_bridge.so'),
      (err) => {
        assert.ok(err instanceof tb.AbiVersionError);
        assert.ok(err instanceof tb.LibraryLoadError);
        assert.equal(err.libraryVersion, shown);
        assert.equal(err.requiredVersion, '1.0');
        assert.equal(err.path, '/some/libtemporal_bridge.so');
        assert.match(err.message, new RegExp(`ABI ${shown.replace('.', '\\.')}`));
        assert.match(err.message, /needs ABI 1\.x with x >= 0/);
        assert.match(err.message, /TEMPORAL_BRIDGE_LIBRARY/);
        return true;
      },
    );
  }
  assert.throws(() => checkAbiVersion(-1), tb.AbiVersionError);
  assert.throws(() => checkAbiVersion(1.5), tb.AbiVersionError);
});

test('a missing library file is a LibraryLoadError naming the path and TEMPORAL_BRIDGE_LIBRARY', async () => {
  const missing = path.join(os.tmpdir(), `no-such-dir-${process.pid}`, 'libtemporal_bridge.so');
  assert.throws(
    () => tb._internal.loadLibrary(missing),
    (err) => err instanceof tb.LibraryLoadError && err.path === missing && err.message.includes(missing),
  );
  // Through the package, as an application sees it: connect rejects.
  const seen = await inChild(CONNECT_AND_REPORT, { TEMPORAL_BRIDGE_LIBRARY: missing });
  assert.equal(seen.name, 'LibraryLoadError');
  assert.equal(seen.isLoadError, true);
  assert.equal(seen.isAbiError, false);
  assert.equal(seen.path, missing);
  assert.ok(seen.message.includes(missing), seen.message);
  assert.ok(seen.message.includes(`TEMPORAL_BRIDGE_LIBRARY=${missing}`), seen.message);
});

test('a file that is no shared library, or not this one, is a LibraryLoadError', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-node-lib-'));
  try {
    const garbage = path.join(dir, 'libtemporal_bridge.so');
    fs.writeFileSync(garbage, 'not an ELF file');
    const seen = await inChild(CONNECT_AND_REPORT, { TEMPORAL_BRIDGE_LIBRARY: garbage });
    assert.equal(seen.name, 'LibraryLoadError');
    assert.match(seen.message, /cannot load the temporal-bridge library/);
    assert.ok(seen.message.includes(garbage));

    // A real shared library without tb_abi_version.
    const libm = ['/lib/x86_64-linux-gnu/libm.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/lib64/libm.so.6'].find(
      (p) => fs.existsSync(p),
    );
    if (libm) {
      assert.throws(
        () => tb._internal.loadLibrary(libm),
        (err) => err instanceof tb.LibraryLoadError && /no tb_abi_version/.test(err.message),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TEMPORAL_BRIDGE_LIBRARY picks the library', async () => {
  const real = tb._internal.libraryPath();
  const code = `const tb = require('.'); console.log(JSON.stringify(tb.libraryInfo()));`;
  const seen = await inChild(code, { TEMPORAL_BRIDGE_LIBRARY: real });
  assert.equal(seen.path, real);
  assert.equal(seen.abiVersion, '1.0');
});

test('the error classes form one hierarchy keyed by status', () => {
  const expected = {
    InvalidArgumentError: 1,
    NotFoundError: 2,
    AlreadyStartedError: 3,
    WorkflowFailedError: 4,
    WorkflowCanceledError: 5,
    WorkflowTerminatedError: 6,
    WorkflowTimedOutError: 7,
    WorkflowContinuedAsNewError: 8,
    UnavailableError: 9,
    DeadlineExceededError: 10,
    CancelledError: 11,
    PermissionDeniedError: 12,
    RpcError: 13,
    InternalError: 14,
    QueryFailedError: 15,
    QueryRejectedError: 16,
    UpdateFailedError: 17,
    CodecError: 18,
  };
  for (const name of Object.keys(expected)) {
    const Class = tb[name];
    assert.equal(typeof Class, 'function', name);
    const err = new Class('m', { kind: 'k', details: { a: 1 }, status: expected[name] });
    assert.ok(err instanceof tb.TemporalBridgeError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, name);
    assert.equal(err.kind, 'k');
    assert.deepEqual(err.details, { a: 1 });
  }
  assert.equal(tb.WorkflowAlreadyStartedError, tb.AlreadyStartedError);
  const failed = new tb.WorkflowFailedError('f', { details: { failure: { message: 'boom' } } });
  assert.deepEqual(failed.failure, { message: 'boom' });
});

test('bad JS input is a TypeError before any native call', async () => {
  // A lazy client never contacts a server; closing it first proves the
  // checks run before the call: a call that got as far as the library
  // would reject with CancelledError ("the client is closed").
  const client = await tb.Client.connect({ target: '127.0.0.1:1', lazy: true });
  await client.close();
  const cycle = { name: 'x' };
  cycle.self = cycle;
  const before = tb._internal.pendingCount();
  const cases = [
    [() => client.startWorkflow(42, { taskQueue: 'q' }), /workflowType must be a string/],
    [() => client.startWorkflow('', { taskQueue: 'q' }), /workflowType must not be empty/],
    [() => client.startWorkflow('W', { args: [] }), /taskQueue is required/],
    [() => client.startWorkflow('W', { taskQueue: 7 }), /taskQueue must be a string/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: 'World' }), /args must be an array/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [10n] }), /args\[0\] is a BigInt/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [{ a: [cycle] }] }), /args\[0\]\.a\[0\]\.self contains a cycle/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [NaN] }), /args\[0\] is NaN/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [() => 1] }), /args\[0\] is a function/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [undefined] }), /args\[0\] is undefined/],
    [() => client.startWorkflow('W', { taskQueue: 'q', args: [new Map()] }), /args\[0\] is a Map/],
    [() => client.startWorkflow('W', { taskQueue: 'q', memo: { big: 1n } }), /memo\.big is a BigInt/],
    [() => client.startWorkflow('W', { taskQueue: 'q', signal: 'no' }), /signal must be an AbortSignal/],
    [() => client.startWorkflow('W', { taskQueue: 'q', timeout: -1 }), /timeout must be a non-negative/],
    [() => client.getWorkflowHandle('w').signal(5), /signal name must be a string/],
    [() => client.getWorkflowHandle('w').signal('s', Symbol('x')), /args\[0\] is a symbol/],
    [() => client.getWorkflowHandle('w').query('q', { n: 2n ** 70n }), /args\[0\]\.n is a BigInt/],
    [() => client.getWorkflowHandle('w').terminate(3), /reason must be a string/],
    [() => client.getWorkflowHandle('w').result({ followRuns: 'yes' }), /followRuns must be a boolean/],
    [() => tb.Client.connect({ target: 7233 }), /target must be a string/],
    [() => tb.Client.connect('127.0.0.1:7233'), /connect options must be an object/],
  ];
  for (const [call, message] of cases) {
    await assert.rejects(call(), (err) => {
      assert.ok(err instanceof TypeError, `${message}: got ${err}`);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => client.getWorkflowHandle(12), TypeError);
  assert.equal(tb._internal.pendingCount(), before);
  // A valid call on the closed client gets as far as the client: CancelledError.
  await assert.rejects(client.startWorkflow('W', { taskQueue: 'q' }), tb.CancelledError);
});

test('unknown options and operations are the library\'s InvalidArgumentError, naming the field', async () => {
  // A lazy client: the library checks the request before it connects.
  const client = await tb.Client.connect({ target: '127.0.0.1:1', lazy: true });
  try {
    await assert.rejects(client.startWorkflow('W', { taskQueue: 'q', bogusField: 1 }), (err) => {
      assert.ok(err instanceof tb.InvalidArgumentError);
      assert.equal(err.kind, 'invalid_argument');
      assert.equal(err.status, 1);
      assert.equal(err.details.field, 'bogus_field');
      assert.match(err.message, /bogus_field/);
      return true;
    });
    await assert.rejects(client.call('no_such_operation', {}), tb.InvalidArgumentError);
  } finally {
    await client.close();
  }
});

test('resolveConfig returns library-owned strings as values (tb_string_free) and errors as classes', () => {
  const resolved = tb.resolveConfig({
    disableFile: true,
    env: { TEMPORAL_ADDRESS: 'example.com:7233', TEMPORAL_API_KEY: 'secret-key' },
  });
  assert.equal(resolved.address, 'example.com:7233');
  assert.equal(resolved.api_key, '<redacted>');
  assert.equal(resolved.tls_enabled, true);
  assert.throws(
    () => tb.resolveConfig({ configFile: path.join(os.tmpdir(), `missing-${process.pid}.toml`), profile: 'p' }),
    (err) => err instanceof tb.InvalidArgumentError && /missing-/.test(err.message),
  );
});
