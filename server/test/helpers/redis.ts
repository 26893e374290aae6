/**
 * A real `redis-server` for tests: started on a free loopback port with its own temp dir and no
 * persistence, stoppable (SIGKILL, to play "Redis died") and restartable on the same port.
 * When the binary is missing, {@link redisServerPath} is undefined and the tests skip with {@link REDIS_SKIP_MESSAGE}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Why the Redis tests were skipped, and how to run them. */
export const REDIS_SKIP_MESSAGE =
  'redis-server not found on PATH: the Redis session store tests are skipped. Install it (Debian/Ubuntu: ' +
  '`apt-get install -y redis-server`; .ci/run does this) and run `npx vitest run server/src/auth` again.';

/** The redis-server binary, or undefined when it is not installed. */
export const redisServerPath: string | undefined = (() => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
})();

/** A free TCP port on 127.0.0.1 (asked from the OS). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running test Redis. */
export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** Kills it and removes its folder. */
  close(): Promise<void>;
}

/** Starts redis-server on a free port; throws when the binary is missing or it does not start in 10 s. */
export async function startRedis(): Promise<TestRedis> {
  if (!redisServerPath) throw new Error(REDIS_SKIP_MESSAGE);
  const binary = redisServerPath;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => void (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => void (output += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${output.slice(0, 500)}`);
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.write('PING\r\n');
          socket.once('data', (d) => {
            socket.destroy();
            resolve(d.toString().startsWith('+PONG'));
          });
        });
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${port}: ${output.slice(0, 500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  // The free port may be taken by someone else before redis-server binds it: try another, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill,
    restart: launch,
    async close() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
