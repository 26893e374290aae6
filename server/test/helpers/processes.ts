/**
 * Process helpers for tests that watch child processes die (SQL children killed by a time limit, by their
 * parent's death or by the kernel). Linux /proc based where it says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (tsx and the sources are resolved from there). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** True once `pid` no longer runs: gone, or a zombie its (possibly blocked) parent has not reaped yet. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls `check` until it holds or `limitMs` have passed; resolves to its last value. */
export async function waitUntil(check: () => boolean, limitMs: number, everyMs = 25): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return check();
}

/** Runs `code` (an ES module, through tsx) in a node process of its own, its stdout piped. */
export function runScript(code: string): ChildProcess & { stdout: NodeJS.ReadableStream } {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  }) as ChildProcess & { stdout: NodeJS.ReadableStream };
}

/** Waits for a script started by {@link runScript} to print `<word> <number>`; resolves to the number. */
export function printedNumber(script: ChildProcess & { stdout: NodeJS.ReadableStream }, word: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    const pattern = new RegExp(`${word} (\\d+)`);
    script.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) resolve(Number(match[1]));
    });
    script.on('exit', () => reject(new Error(`script exited before printing "${word} <n>": ${out}`)));
  });
}
