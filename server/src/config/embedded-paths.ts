/**
 * Start-up check of the embedded documents' files: a `path` that can never work (a parent is a regular
 * file, the path is a folder, the folder or file is not writable) is a start-up error naming the document
 * and the path, instead of an INTERNAL_ERROR (with a stack trace in the log) on every later call.
 * Nothing is created here; a missing file is created on first use, as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import type { GatewayConfig } from './types.js';

/** Why `file` cannot serve as an embedded document, or undefined when it can. */
export function embeddedPathProblem(file: string): string | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: some parent is a regular file; the walk below finds and names it.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${JSON.stringify(file)}: cannot be read (${code ?? String(err)})`;
  }
  if (stat) {
    if (stat.isDirectory()) return `${JSON.stringify(file)} is a folder; give the path of a .grist file`;
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
      // SQLite writes its journal next to the file.
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
    } catch (err) {
      return `${JSON.stringify(file)}: not writable (${(err as NodeJS.ErrnoException).code ?? String(err)}); the gateway needs to write the document and its journal next to it`;
    }
    return undefined;
  }
  // Missing: the nearest existing ancestor must be a folder we can create in.
  let dir = path.dirname(file);
  for (;;) {
    try {
      const s = fs.statSync(dir);
      if (!s.isDirectory()) return `${JSON.stringify(file)}: ${JSON.stringify(dir)} is a regular file, not a folder`;
      fs.accessSync(dir, fs.constants.W_OK);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const parent = path.dirname(dir);
        if (parent === dir) return `${JSON.stringify(file)}: no existing folder above it`;
        dir = parent;
        continue;
      }
      return `${JSON.stringify(file)}: cannot create it in ${JSON.stringify(dir)} (${code ?? String(err)})`;
    }
  }
}

/** Throws a {@link ConfigError} listing every embedded document whose `path` cannot work. */
export function checkEmbeddedPaths(config: GatewayConfig): void {
  const problems: string[] = [];
  for (const doc of config.documents.values()) {
    if (doc.kind !== 'embedded') continue;
    const problem = embeddedPathProblem(doc.path);
    if (problem) problems.push(`documents.${doc.name}.path: ${problem}`);
  }
  if (problems.length > 0) throw new ConfigError(config.source, problems);
}
