/**
 * The documents the Grist-compatible REST API serves: configured embedded documents (reachable under
 * their config name) plus documents created through `POST /api/workspaces/{wid}/docs`, kept as
 * `<dataDir>/<docId>.grist`. Documents are opened lazily and cached, so the REST API and the gateway
 * share one open instance per file.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GristError } from '../backend/errors.js';
import type { EngineOptions } from '../engine/api.js';
import { EmbeddedDocument } from '../engine/document.js';

/** Options of {@link EmbeddedDocRegistry}. */
export interface EmbeddedDocRegistryOptions {
  /** Directory of documents created through the API (created when missing). */
  dataDir: string;
  /** Configured documents: docId (the config name) -> SQLite file path. */
  documents?: Record<string, string>;
  /** Options for every opened document. */
  engine?: EngineOptions;
}

/** Characters of a generated docId (Grist's ids are 22 alphanumerics too). */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A docId that can name a file in the data dir: no separators, dots or other surprises. */
const SAFE_DOC_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** A new random 22-character docId. */
export function newDocId(): string {
  let id = '';
  for (let i = 0; i < 22; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

function documentNotFound(): GristError {
  return new GristError(404, 'document not found', undefined, { kind: 'document' });
}

/** Opens, caches, creates and deletes the embedded documents of the REST API. */
export class EmbeddedDocRegistry {
  private readonly dataDir: string;
  private readonly configured: Map<string, string>;
  private readonly engine: EngineOptions | undefined;
  private readonly open = new Map<string, EmbeddedDocument>();

  constructor(options: EmbeddedDocRegistryOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.configured = new Map(Object.entries(options.documents ?? {}).map(([id, file]) => [id, path.resolve(file)]));
    this.engine = options.engine;
  }

  /** The file of a document, or undefined when no such document exists. */
  private fileOf(docId: string): string | undefined {
    const configured = this.configured.get(docId);
    if (configured !== undefined) return configured;
    if (!SAFE_DOC_ID.test(docId)) return undefined;
    const file = path.join(this.dataDir, `${docId}.grist`);
    return fs.existsSync(file) ? file : undefined;
  }

  /** True when `docId` names a document (configured, or created in the data dir). */
  has(docId: string): boolean {
    return this.open.has(docId) || this.fileOf(docId) !== undefined;
  }

  /** The open document `docId` (opened on first use). Throws 404 `document not found` when unknown. */
  get(docId: string): EmbeddedDocument {
    const cached = this.open.get(docId);
    if (cached) return cached;
    const file = this.fileOf(docId);
    if (file === undefined) throw documentNotFound();
    // A configured document whose file does not exist yet is created, like the gateway does.
    const doc = fs.existsSync(file) ? EmbeddedDocument.open(file, this.engine) : EmbeddedDocument.create(file, this.engine);
    this.open.set(docId, doc);
    return doc;
  }

  /**
   * Creates a new document in the data dir and returns its docId. `name` is Grist's display name; the
   * embedded engine has no place for it, so it only matters to the caller.
   */
  create(_name?: string): string {
    fs.mkdirSync(this.dataDir, { recursive: true });
    let docId = newDocId();
    while (this.has(docId)) docId = newDocId();
    const doc = EmbeddedDocument.create(path.join(this.dataDir, `${docId}.grist`), this.engine);
    this.open.set(docId, doc);
    return docId;
  }

  /**
   * Deletes a document created through the API (closes it and removes its file). Configured documents
   * belong to the gateway's config and are refused with 403.
   */
  async delete(docId: string): Promise<void> {
    if (this.configured.has(docId)) {
      throw new GristError(403, 'cannot delete a document configured in the gateway config', undefined, { kind: 'document' });
    }
    const file = this.fileOf(docId);
    if (file === undefined) throw documentNotFound();
    const doc = this.open.get(docId);
    this.open.delete(docId);
    if (doc) await doc.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  }

  /** Closes every open document. */
  async close(): Promise<void> {
    const docs = [...this.open.values()];
    this.open.clear();
    await Promise.all(docs.map((doc) => doc.close()));
  }
}
