/**
 * YAML reading for the config file. Every scalar is read as its literal text (`doc_id: 0123` stays
 * `"0123"`, `token: 12345` stays `"12345"`), because no config field is a number or a boolean and
 * YAML's type guessing would otherwise corrupt ids and secrets. Empty values, `~` and `null` become
 * `null`.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';

/** A config tree: mappings, lists, strings and nulls only. */
export type YamlTree = string | null | YamlTree[] | { [key: string]: YamlTree };

/** Result of {@link readYaml}: the tree, or the syntax problems (with line and column). */
export type YamlResult = { ok: true; value: YamlTree } | { ok: false; problems: string[] };

/** Syntax errors reported before the rest are summarised as a count. */
const MAX_SYNTAX_ERRORS = 3;

/** Parses `text` (one YAML document) into a {@link YamlTree}. */
export function readYaml(text: string): YamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    // One syntax error usually cascades into many; the first few are what a user can act on.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => `YAML syntax: ${describeYamlError(e.message, lineCounter.linePos(e.pos[0]))}`);
    if (doc.errors.length > MAX_SYNTAX_ERRORS) shown.push(`YAML syntax: ${doc.errors.length - MAX_SYNTAX_ERRORS} more errors after these`);
    return { ok: false, problems: shown };
  }
  const problems: string[] = [];
  const value = toTree(doc, doc.contents, problems);
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

function toTree(doc: Document, node: unknown, problems: string[]): YamlTree {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toTree(doc, node.resolve(doc), problems);
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    // Numbers, booleans, dates: keep the text as written.
    return node.source ?? String(v);
  }
  if (isSeq(node)) return node.items.map((item) => toTree(doc, item, problems));
  if (isMap(node)) {
    const out: { [key: string]: YamlTree } = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = toTree(doc, pair.key, problems);
      if (typeof key !== 'string' && key !== null) {
        problems.push('YAML: mapping keys must be plain text');
        continue;
      }
      // defineProperty: a key named "__proto__" must become an ordinary key, not the prototype.
      Object.defineProperty(out, key ?? '', {
        value: toTree(doc, pair.value, problems),
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
