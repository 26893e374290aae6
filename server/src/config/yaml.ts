/**
 * YAML reading for the config file. Every scalar is read as its literal text (`doc_id: 0123` stays
 * `"0123"`, `token: 12345` stays `"12345"`), because no config field is a number or a boolean and
 * YAML's type guessing would otherwise corrupt ids and secrets. Empty values, `~` and `null` become
 * `null`.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { limits } from '../limits/index.js';

/** A config tree: mappings, lists, strings and nulls only. */
export type YamlTree = string | null | YamlTree[] | { [key: string]: YamlTree };

/** Result of {@link readYaml}: the tree, or the syntax problems (with line and column). */
export type YamlResult = { ok: true; value: YamlTree } | { ok: false; problems: string[] };

/** Syntax errors reported before the rest are summarised as a count. */
const MAX_SYNTAX_ERRORS = 3;

/** Thrown inside {@link toTree} when the expanded tree grows past {@link limits.maxConfigNodes}. */
class TooManyNodes extends Error {}

/** Parses `text` (one YAML document) into a {@link YamlTree}. */
export function readYaml(text: string): YamlResult {
  // Both limits keep a hostile or broken file from hanging start-up: size before parsing, and the
  // number of nodes after alias expansion (each `*alias` copies its anchor's whole subtree, so nine
  // nested aliases of nine items each expand to 9^9 nodes: the "billion laughs").
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxConfigBytes) {
    return { ok: false, problems: [`(file): ${bytes} bytes is larger than the limit of ${limits.maxConfigBytes} bytes for a config file`] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    // One syntax error usually cascades into many; the first few are what a user can act on.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => `YAML syntax: ${describeYamlError(e.message, lineCounter.linePos(e.pos[0]))}`);
    if (doc.errors.length > MAX_SYNTAX_ERRORS) shown.push(`YAML syntax: ${doc.errors.length - MAX_SYNTAX_ERRORS} more errors after these`);
    return { ok: false, problems: shown };
  }
  const problems: string[] = [];
  let value: YamlTree;
  try {
    value = toTree(doc, doc.contents, problems, { nodes: 0, open: new Set() });
  } catch (err) {
    if (!(err instanceof TooManyNodes)) throw err;
    return {
      ok: false,
      problems: [`YAML: the document expands to more than ${limits.maxConfigNodes} values once its aliases (*name) are resolved; a config never needs that many (alias bomb?)`],
    };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

function describeYamlError(message: string, pos: { line: number; col: number } | undefined): string {
  // The library's message can embed a snippet of the offending source line; keep only its first
  // line so a secret further along the file is not echoed.
  const first = message.split('\n')[0] ?? message;
  const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
  // Messages like `Unexpected scalar token in YAML stream: "abc"` quote the source text: drop the quote.
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/: ".*"$/, '') + where;
}

function toTree(doc: Document, node: unknown, problems: string[], count: { nodes: number; open: Set<unknown> }): YamlTree {
  if (++count.nodes > limits.maxConfigNodes) throw new TooManyNodes();
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    // An anchor used inside itself (`a: &a {b: *a}`) would expand forever.
    if (count.open.has(target)) {
      problems.push(`YAML: alias *${node.source} is used inside its own anchor`);
      return null;
    }
    count.open.add(target);
    try {
      return toTree(doc, target, problems, count);
    } finally {
      count.open.delete(target);
    }
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    // Numbers, booleans, dates: keep the text as written.
    return node.source ?? String(v);
  }
  if (isSeq(node)) return node.items.map((item) => toTree(doc, item, problems, count));
  if (isMap(node)) {
    const out: { [key: string]: YamlTree } = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = toTree(doc, pair.key, problems, count);
      if (typeof key !== 'string' && key !== null) {
        problems.push('YAML: mapping keys must be plain text');
        continue;
      }
      // defineProperty: a key named "__proto__" must become an ordinary key, not the prototype.
      Object.defineProperty(out, key ?? '', {
        value: toTree(doc, pair.value, problems, count),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  problems.push('YAML: unsupported node');
  return null;
}
