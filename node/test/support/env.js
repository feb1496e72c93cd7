'use strict';

// The real environment the tests run against: a Temporal dev server
// (tests/harness/devenv.py --no-worker) and the Go SDK worker
// (examples/go-worker, built into target/go-worker when missing or older
// than its sources). Both are started here and stopped in `stop()`, which
// the test files call from after() — and, as a last resort, on process exit
// (SIGKILL). devenv also stops by itself when our end of its stdin closes,
// and the worker gets SIGTERM when this process dies (setpriv --pdeathsig).

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..', '..');
const PYTHON = path.join(REPO, '.venv', 'bin', 'python');
const DEVENV = path.join(REPO, 'tests', 'harness', 'devenv.py');
const GO_WORKER_DIR = path.join(REPO, 'examples', 'go-worker');
const GO_WORKER = path.join(REPO, 'target', 'go-worker');

const SERVER_READY_TIMEOUT_MS = 90_000;
const WORKER_READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

function withParentDeath(cmd, args) {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', cmd, ...args]] : [cmd, args];
}

/** Resolves to the first stdout line that `accept`s, rejects on exit or timeout. */
function waitForLine(child, what, accept, timeoutMs, stderrTail) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const done = (fn, value) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      fn(value);
    };
    const onLine = (line) => {
      const value = accept(line);
      if (value !== undefined) done(resolve, value);
    };
    const onExit = (code, signal) =>
      done(reject, new Error(`${what} exited (${code ?? signal}) before it was ready; stderr:\n${stderrTail()}`));
    const timer = setTimeout(
      () => done(reject, new Error(`${what} not ready after ${timeoutMs} ms; stderr:\n${stderrTail()}`)),
      timeoutMs,
    );
    lines.on('line', onLine);
    child.on('exit', onExit);
  });
}

/** Keeps the last bytes of a stream, for error messages. */
function tail(stream, limit = 8000) {
  let text = '';
  stream.on('data', (chunk) => {
    text = (text + chunk.toString()).slice(-limit);
  });
  return () => text;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits for `child` to exit, at most `ms`; true when it did. */
function waitExit(child, ms) {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function stopChild(child, gentle) {
  if (!child || exited(child)) return;
  gentle();
  if (await waitExit(child, STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await waitExit(child, STOP_TIMEOUT_MS);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'cmd') continue; // other binaries
      newest = Math.max(newest, newestSource(full));
    } else if (
      (entry.name.endsWith('.go') && !entry.name.endsWith('_test.go')) ||
      entry.name === 'go.mod' ||
      entry.name === 'go.sum'
    ) {
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

/** Builds target/go-worker when it is missing or older than its sources. */
function ensureGoWorker() {
  const built = fs.existsSync(GO_WORKER) ? fs.statSync(GO_WORKER).mtimeMs : 0;
  if (built >= newestSource(GO_WORKER_DIR)) return;
  const result = spawnSync('go', ['build', '-o', GO_WORKER, '.'], {
    cwd: GO_WORKER_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(`go build of ${GO_WORKER_DIR} failed (${result.error ?? `exit ${result.status}`})`);
  }
}

const running = new Set();
process.on('exit', () => {
  for (const child of running) if (!exited(child)) child.kill('SIGKILL');
});

/** Starts the dev server and the Go worker. Resolves to {target, namespace, taskQueue, cleanupDir, stop()}. */
async function startEnv() {
  const cleanupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-node-cleanup-'));
  const taskQueue = `node-tests-${process.pid}`;
  let server = null;
  let worker = null;

  const stop = async () => {
    // Worker first: it would only log errors while the server goes away.
    await stopChild(worker, () => worker.kill('SIGTERM'));
    // devenv stops the server when its stdin closes.
    await stopChild(server, () => server.stdin.end());
    running.delete(worker);
    running.delete(server);
    fs.rmSync(cleanupDir, { recursive: true, force: true });
  };

  try {
    ensureGoWorker();
    server = spawn(PYTHON, [DEVENV, '--no-worker'], { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(server);
    const serverErr = tail(server.stderr);
    const info = await waitForLine(
      server,
      'devenv.py',
      (line) => {
        try {
          const parsed = JSON.parse(line);
          return parsed && parsed.target ? parsed : undefined;
        } catch {
          return undefined;
        }
      },
      SERVER_READY_TIMEOUT_MS,
      serverErr,
    );

    const [cmd, args] = withParentDeath(GO_WORKER, [
      '-target',
      info.target,
      '-namespace',
      info.namespace,
      '-task-queue',
      taskQueue,
      '-cleanup-dir',
      cleanupDir,
    ]);
    worker = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(worker);
    const workerErr = tail(worker.stderr);
    await waitForLine(worker, 'go-worker', (line) => (line.trim() === 'worker ready' ? true : undefined), WORKER_READY_TIMEOUT_MS, workerErr);
    worker.stdout.resume();

    return { target: info.target, namespace: info.namespace, taskQueue, cleanupDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Polls `check` (async, truthy when done) until it holds, at most
 * `timeoutMs`: for conditions the server reaches by itself (a file the
 * cleanup activity writes). Throws with `what` on timeout.
 */
async function eventually(what, check, timeoutMs = 20_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

module.exports = { startEnv, eventually, REPO };
