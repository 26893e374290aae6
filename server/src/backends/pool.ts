/**
 * One backend per configured document, opened on first use and kept for the life of the process.
 *
 * Embedded documents are SQLite files (created on first use when the file does not exist yet, so a new
 * `engine: embedded` entry just works); Grist documents go through the HTTP backend.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DocBackend } from '../backend/types.js';
import { GristError } from '../backend/errors.js';
import { openGristDocument } from './http/index.js';
import type { DocumentConfig } from '../config/index.js';
import { EmbeddedDocument } from '../engine/index.js';
import type { Logger } from '../log.js';

/** Opens a backend for one document config. Replaceable so the HTTP backend can plug in. */
export type BackendFactory = (doc: DocumentConfig, logger: Logger) => DocBackend;

/** Creates an empty embedded document when the file does not exist yet (and its folder). */
export function ensureEmbeddedFile(filePath: string, logger?: Logger): void {
  if (!fs.existsSync(filePath)) void openEmbedded(filePath, logger).close();
}

/** Opens an embedded document, creating the file (and its folder) when it does not exist yet. */
export function openEmbedded(filePath: string, logger?: Logger): EmbeddedDocument {
  if (fs.existsSync(filePath)) return EmbeddedDocument.open(filePath);
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  logger?.info({ path: filePath }, 'created a new embedded document');
  return EmbeddedDocument.create(filePath);
}

/** The default factory: embedded documents on SQLite, Grist documents over HTTP. */
export const defaultBackendFactory: BackendFactory = (doc, logger) => {
  if (doc.kind === 'embedded') return openEmbedded(doc.path, logger);
  return openGristDocument(doc);
};

/** Holds the open backend of every configured document. */
export class BackendPool {
  readonly #open = new Map<string, DocBackend>();

  constructor(
    private readonly documents: ReadonlyMap<string, DocumentConfig>,
    private readonly logger: Logger,
    private readonly factory: BackendFactory = defaultBackendFactory,
  ) {}

  /** Names of the configured documents. */
  names(): string[] {
    return [...this.documents.keys()];
  }

  /** The document's config, or undefined when no document has that name. */
  config(name: string): DocumentConfig | undefined {
    return this.documents.get(name);
  }

  /** The backend of a configured document (opened on first use). */
  get(name: string): DocBackend {
    const existing = this.#open.get(name);
    if (existing) return existing;
    const doc = this.documents.get(name);
    if (!doc) throw new GristError(404, `document "${name}" is not configured`, undefined, { kind: 'document' });
    const backend = this.factory(doc, this.logger);
    this.#open.set(name, backend);
    return backend;
  }

  /** Closes every open backend. */
  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(open.map((b) => b.close()));
  }
}
