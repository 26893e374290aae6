/**
 * The worker thread that hosts Pyodide (CPython in WebAssembly) for formula evaluation. Plain JS so it
 * runs under any loader. One worker per process serves every document (see runtime.ts).
 *
 * Protocol (parentPort): in `{ id, docKey, op, payload }` (payload: JSON text), out
 * `{ id, ok, result, blob?, timing }` (result: JSON text; blob: the float64 bytes its `{"$f64": [offset,
 * count]}` entries stand for, transferred, not copied; timing: JSON text of Python's phase times) or
 * `{ id, ok: false, error }`. First message out: `{ ready: true, loadMs }` or `{ ready: false, error }`.
 *
 * Safety: Python sees no JS globals (`jsglobals` is an empty object), the Python-side `js`/`pyodide_js`
 * modules are dropped, network globals of this thread are deleted, WebAssembly memory growth is capped
 * (an allocation beyond it is a Python MemoryError), and `progress` (a SharedArrayBuffer counter bumped at
 * each formula cell) lets the main thread interrupt a cell that runs too long (KeyboardInterrupt in Python,
 * turned into a TimeoutError cell).
 */
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { interruptBuffer, progressBuffer, maxMemoryBytes } = workerData;
const progress = new Int32Array(progressBuffer);

// Cap WebAssembly memory growth: a grow beyond the cap fails, which Python reports as MemoryError.
const realGrow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function grow(pages) {
  if ((this.buffer.byteLength + pages * 65536) > maxMemoryBytes) { throw new RangeError('formula memory limit reached'); }
  return realGrow.call(this, pages);
};

/** Minutes east of UTC of an IANA zone at an instant (Intl knows every zone; Pyodide ships no tzdata). */
const tzFormatters = new Map();
function tzOffset(zone, secs) {
  let f = tzFormatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch { f = null; }
    tzFormatters.set(zone, f);
  }
  if (!f) { return 0; }
  const ms = Math.floor(secs) * 1000;
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - ms) / 60000);
}

/** Progress for the main thread's watchdog: [0] counts cells, [1] is 1 while formula cells are evaluated. */
function tick(evaluating) {
  Atomics.add(progress, 0, 1);
  Atomics.store(progress, 1, evaluating ? 1 : 0);
}

let py;
try {
  const t0 = performance.now();
  const { loadPyodide } = await import('pyodide');
  // Pyodide finds its files from its own URL, which loaders (tsx) may rewrite: name the folder explicitly.
  const indexURL = `${path.dirname(createRequire(import.meta.url).resolve('pyodide/package.json'))}${path.sep}`;
  py = await loadPyodide({ indexURL, jsglobals: Object.create(null), stdout: () => {}, stderr: () => {}, checkAPIVersion: true });
  py.setInterruptBuffer(new Int32Array(interruptBuffer));
  py.FS.mkdirTree('/gg');
  for (const name of ['gg_functions.py', 'gg_env.py']) {
    py.FS.writeFile(`/gg/${name}`, fs.readFileSync(path.join(here, 'python', name), 'utf8'));
  }
  py.runPython("import sys\nsys.path.insert(0, '/gg')\nimport gg_env");
  py.globals.get('gg_env').init(tick, tzOffset);
  // Nothing Python can reach should lead back to JavaScript or the network.
  py.runPython("import sys\nfor _m in ('js', 'pyodide_js'):\n  sys.modules.pop(_m, None)\ndel _m");
  for (const name of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'Request', 'Response']) { delete globalThis[name]; }
  parentPort.postMessage({ ready: true, loadMs: performance.now() - t0 });
} catch (err) {
  parentPort.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) });
}

const call = py?.globals.get('gg_env').call;

parentPort.on('message', (msg) => {
  const { id, docKey, op, payload } = msg;
  try {
    if (!call) { throw new Error('Python did not start'); }
    const answer = call(docKey, op, payload);
    if (typeof answer === 'string') {
      // `timing + "\n" + text` (JSON text has no raw newline).
      const cut = answer.indexOf('\n');
      parentPort.postMessage({ id, ok: true, result: answer.slice(cut + 1), timing: answer.slice(0, cut) });
      return;
    }
    // One conversion of Python's (text, bytes, timing) tuple: strings and one byte buffer, no per-cell proxies.
    let result, blob, timing;
    try {
      [result, blob, timing] = answer.toJs();
    } finally {
      answer.destroy();
    }
    // toJs copies the bytes out of Python's heap into a buffer of their own: hand that buffer over (never
    // a view of the heap, which transferring would detach).
    const own = blob.byteOffset === 0 && blob.buffer.byteLength === blob.byteLength;
    parentPort.postMessage({ id, ok: true, result, blob, timing }, own ? [blob.buffer] : []);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: err instanceof Error ? err.message.split('\n').slice(-3).join(' ').slice(0, 500) : String(err) });
  }
});
