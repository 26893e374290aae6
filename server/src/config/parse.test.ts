import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../auth/tokens.js';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const BASE = path.resolve('/srv/gateway');

/** Problems of an invalid config (fails the test if it parses). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, { baseDir: BASE, env, source: 'test.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

/** The Python grist-mcp `config.yaml.example`, verbatim. */
const PYTHON_EXAMPLE = `# config.yaml.example

# ============================================================
# Token Generation:
#   python -c "import secrets; print(secrets.token_urlsafe(32))"
#   openssl rand -base64 32
# ============================================================

# Document definitions (each is self-contained)
documents:
  budget-2024:
    url: https://work.getgrist.com
    doc_id: mK7xB2pQ9mN4v
    api_key: \${GRIST_WORK_API_KEY}

  expenses:
    url: https://work.getgrist.com
    doc_id: nL8yC3qR0oO5w
    api_key: \${GRIST_WORK_API_KEY}

  personal-tracker:
    url: https://docs.getgrist.com
    doc_id: pN0zE5sT2qP7x
    api_key: \${GRIST_PERSONAL_API_KEY}

  # Docker networking example: connect via internal hostname,
  # but send the external domain in the Host header
  docker-grist:
    url: http://grist:8080
    doc_id: abc123
    api_key: \${GRIST_API_KEY}
    host_header: grist.example.com  # Required when Grist validates Host header

# Agent tokens with access scopes
tokens:
  - token: REPLACE_WITH_GENERATED_TOKEN
    name: finance-agent
    scope:
      - document: budget-2024
        permissions: [read, write]
      - document: expenses
        permissions: [read]

  - token: REPLACE_WITH_ANOTHER_TOKEN
    name: analytics-agent
    scope:
      - document: personal-tracker
        permissions: [read, write, schema]
`;

const PYTHON_ENV = { GRIST_WORK_API_KEY: 'work-key', GRIST_PERSONAL_API_KEY: 'personal-key', GRIST_API_KEY: 'docker-key' };

describe('parseConfig: the Python grist-mcp format', () => {
  it('loads the Python example config unchanged', () => {
    const config = parseConfig(PYTHON_EXAMPLE, { baseDir: BASE, env: PYTHON_ENV, source: 'example.yaml' });
    expect(config.source).toBe('example.yaml');
    expect([...config.documents.keys()]).toEqual(['budget-2024', 'expenses', 'personal-tracker', 'docker-grist']);
    expect(config.documents.get('budget-2024')).toEqual({
      kind: 'grist',
      name: 'budget-2024',
      url: 'https://work.getgrist.com',
      docId: 'mK7xB2pQ9mN4v',
      apiKey: 'work-key',
    });
    expect(config.documents.get('docker-grist')).toEqual({
      kind: 'grist',
      name: 'docker-grist',
      url: 'http://grist:8080',
      docId: 'abc123',
      apiKey: 'docker-key',
      hostHeader: 'grist.example.com',
    });
    expect(config.agents.map((a) => a.name)).toEqual(['finance-agent', 'analytics-agent']);
    const finance = config.agents[0]!;
    expect(finance.tokenSha256).toBe(sha256Hex('REPLACE_WITH_GENERATED_TOKEN'));
    expect([...finance.scopes.entries()].map(([d, p]) => [d, [...p]])).toEqual([
      ['budget-2024', ['read', 'write']],
      ['expenses', ['read']],
    ]);
    expect([...config.agents[1]!.scopes.get('personal-tracker')!]).toEqual(['read', 'write', 'schema']);
    expect(config.gristApi).toBeUndefined();
  });

  it('does not keep the plain token anywhere in the result', () => {
    const config = parseConfig(PYTHON_EXAMPLE, { baseDir: BASE, env: PYTHON_ENV });
    const dump = JSON.stringify(config, (_k, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v));
    expect(dump).not.toContain('REPLACE_WITH_GENERATED_TOKEN');
    expect(dump).toContain(sha256Hex('REPLACE_WITH_GENERATED_TOKEN'));
  });

  it('accepts an empty host_header as "no override" and keeps numeric-looking ids as text', () => {
    const config = parseConfig(
      `documents:\n  d:\n    url: https://g.example.com/\n    doc_id: 0123\n    api_key: 0777\n    host_header:\ntokens:\n  - token: 12345\n    name: n\n    scope: [{document: d, permissions: [read]}]\n`,
      { baseDir: BASE, env: {} },
    );
    expect(config.documents.get('d')).toEqual({ kind: 'grist', name: 'd', url: 'https://g.example.com', docId: '0123', apiKey: '0777' });
    expect(config.agents[0]!.tokenSha256).toBe(sha256Hex('12345'));
  });

  it('accepts a file with no tokens or documents', () => {
    const config = parseConfig('documents: {}\n', { baseDir: BASE, env: {} });
    expect(config.documents.size).toBe(0);
    expect(config.agents).toEqual([]);
  });
});

describe('parseConfig: extensions', () => {
  it('reads embedded documents, token_sha256 and grist_api, resolving relative paths against baseDir', () => {
    const digest = sha256Hex('secret-token');
    const config = parseConfig(
      [
        'documents:',
        '  demo:',
        '    engine: embedded',
        '    path: ./data/demo.grist',
        '  abs:',
        '    engine: embedded',
        '    path: /var/lib/x.grist',
        '  remote:',
        '    engine: grist',
        '    url: https://grist.example.com',
        '    doc_id: abc',
        '    api_key: k',
        'tokens:',
        `  - token_sha256: ${digest.toUpperCase()}`,
        '    name: agent',
        '    scope:',
        '      - document: demo',
        '        permissions: [schema, read, read]',
        'grist_api:',
        '  api_key: ${EMBEDDED_API_KEY}',
        '  data_dir: data',
      ].join('\n'),
      { baseDir: BASE, env: { EMBEDDED_API_KEY: 'emb' } },
    );
    expect(config.documents.get('demo')).toEqual({ kind: 'embedded', name: 'demo', path: path.join(BASE, 'data', 'demo.grist') });
    expect(config.documents.get('abs')).toEqual({ kind: 'embedded', name: 'abs', path: path.resolve('/var/lib/x.grist') });
    expect(config.documents.get('remote')?.kind).toBe('grist');
    expect(config.agents[0]!.tokenSha256).toBe(digest);
    expect([...config.agents[0]!.scopes.get('demo')!]).toEqual(['read', 'schema']);
    expect(config.gristApi).toEqual({ apiKey: 'emb', dataDir: path.join(BASE, 'data') });
  });
});

describe('parseConfig: environment variables', () => {
  it('substitutes ${VAR} anywhere in a value, in every string value but not in keys', () => {
    const config = parseConfig(
      'documents:\n  ${NAME}:\n    url: https://${HOST}:8484\n    doc_id: ${DOC}\n    api_key: pre-${KEY}-post\ntokens: []\n',
      { baseDir: BASE, env: { HOST: 'grist.local', DOC: 'd1', KEY: 'k', NAME: 'ignored' } },
    );
    expect([...config.documents.keys()]).toEqual(['${NAME}']);
    expect(config.documents.get('${NAME}')).toMatchObject({ url: 'https://grist.local:8484', docId: 'd1', apiKey: 'pre-k-post' });
  });

  it('does not interpret a variable value as YAML', () => {
    const config = parseConfig('documents:\n  d:\n    url: https://g.example.com\n    doc_id: d\n    api_key: ${KEY}\n', {
      baseDir: BASE,
      env: { KEY: '[a, b]\nx: y' },
    });
    expect(config.documents.get('d')).toMatchObject({ apiKey: '[a, b]\nx: y' });
  });

  it('names every missing variable and where it is used, without extra problems for the same value', () => {
    const problems = problemsOf(
      'documents:\n  sales:\n    url: ${GRIST_URL}\n    doc_id: abc\n    api_key: ${GRIST_API_KEY}\ntokens:\n  - token: ${AGENT_TOKEN}\n    name: a\n    scope: [{document: sales, permissions: [read]}]\n',
    );
    expect(problems).toEqual([
      'documents.sales.url: environment variable GRIST_URL is not set',
      'documents.sales.api_key: environment variable GRIST_API_KEY is not set',
      'tokens[0].token: environment variable AGENT_TOKEN is not set',
    ]);
  });

  it('reports each missing variable of a value that uses several', () => {
    const problems = problemsOf('documents:\n  d:\n    url: https://${H}:${P}/${OK}\n    doc_id: d\n    api_key: k\n', { OK: 'x' });
    expect(problems).toEqual([
      'documents.d.url: environment variable H is not set',
      'documents.d.url: environment variable P is not set',
    ]);
  });

  it('uses process.env by default', () => {
    process.env.GG_PARSE_TEST_KEY = 'from-process';
    try {
      const config = parseConfig('documents:\n  d: {url: "https://g.example.com", doc_id: d, api_key: "${GG_PARSE_TEST_KEY}"}\n', { baseDir: BASE });
      expect(config.documents.get('d')).toMatchObject({ apiKey: 'from-process' });
    } finally {
      delete process.env.GG_PARSE_TEST_KEY;
    }
  });
});

describe('parseConfig: validation', () => {
  const DOCS = 'documents:\n  sales: {url: "https://g.example.com", doc_id: abc, api_key: k}\n  demo: {engine: embedded, path: demo.grist}\n';

  it('rejects an unknown permission with its exact path', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n  - {token: t0, name: a, scope: [{document: sales, permissions: [read]}]}\n  - token: t1\n    name: b\n    scope:\n      - document: demo\n        permissions: [read, write, admin]\n',
    );
    expect(problems).toEqual(['tokens[1].scope[0].permissions[2]: "admin" is not one of read, write, schema']);
  });

  it('rejects an unknown document in a scope, listing the known ones', () => {
    const problems = problemsOf(
      DOCS + 'tokens:\n  - token: t0\n    name: a\n    scope:\n      - {document: sales, permissions: [read]}\n      - {document: salez, permissions: [read]}\n',
    );
    expect(problems).toEqual(['tokens[0].scope[1].document: unknown document "salez" (known: sales, demo)']);
  });

  it('rejects the same document twice in one scope', () => {
    const problems = problemsOf(
      DOCS + 'tokens:\n  - token: t0\n    name: a\n    scope:\n      - {document: sales, permissions: [read]}\n      - {document: sales, permissions: [write]}\n',
    );
    expect(problems).toEqual([
      'tokens[0].scope[1].document: document "sales" is already listed in tokens[0].scope[0]; merge the permissions there',
    ]);
  });

  it('rejects duplicate tokens, also between token and token_sha256 of the same secret, without echoing it', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n' +
        '  - {token: same-secret, name: a, scope: [{document: sales, permissions: [read]}]}\n' +
        '  - {token: same-secret, name: b, scope: [{document: sales, permissions: [read]}]}\n' +
        `  - {token_sha256: ${sha256Hex('same-secret')}, name: c, scope: [{document: sales, permissions: [read]}]}\n`,
    );
    expect(problems).toEqual([
      'tokens[1].token: same token as tokens[0] (every agent needs its own token)',
      'tokens[2].token_sha256: same token as tokens[0] (every agent needs its own token)',
    ]);
    expect(problems.join('\n')).not.toContain('same-secret');
  });

  it('rejects duplicate names', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n  - {token: t0, name: a, scope: [{document: sales, permissions: [read]}]}\n  - {token: t1, name: a, scope: [{document: demo, permissions: [read]}]}\n',
    );
    expect(problems).toEqual(['tokens[1].name: duplicate name "a" (also tokens[0])']);
  });

  it('requires exactly one of token and token_sha256', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n' +
        `  - {token: t0, token_sha256: ${sha256Hex('t0')}, name: a, scope: [{document: sales, permissions: [read]}]}\n` +
        '  - {name: b, scope: [{document: sales, permissions: [read]}]}\n',
    );
    expect(problems).toEqual([
      'tokens[0]: has both token and token_sha256; keep only one',
      'tokens[1]: needs token (the secret) or token_sha256 (its SHA-256 digest, 64 hex characters)',
    ]);
  });

  it('rejects a malformed token_sha256 and a token using the session prefix', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n  - {token_sha256: abc, name: a, scope: [{document: sales, permissions: [read]}]}\n  - {token: sess_xyz, name: b, scope: [{document: sales, permissions: [read]}]}\n',
    );
    expect(problems).toEqual([
      'tokens[0].token_sha256: must be 64 hex characters (the SHA-256 digest of the token)',
      'tokens[1].token: must not start with "sess_" (reserved for session tokens)',
    ]);
  });

  it('rejects empty and missing scopes and permission lists', () => {
    const problems = problemsOf(
      DOCS +
        'tokens:\n' +
        '  - {token: t0, name: a, scope: []}\n' +
        '  - {token: t1, name: b}\n' +
        '  - {token: t2, name: c, scope: [{document: sales, permissions: []}]}\n' +
        '  - {token: t3, name: d, scope: [{document: sales}]}\n',
    );
    expect(problems).toEqual([
      'tokens[0].scope: must not be empty',
      'tokens[1].scope: required',
      'tokens[2].scope[0].permissions: must not be empty',
      'tokens[3].scope[0].permissions: required',
    ]);
  });

  it('rejects a document that is neither Grist nor embedded, and incomplete ones', () => {
    const problems = problemsOf(
      'documents:\n' +
        '  a: {path: x.grist}\n' +
        '  b: {title: hello}\n' +
        '  c: {url: "https://g.example.com", doc_id: abc}\n' +
        '  d: {engine: embedded}\n' +
        '  e: {engine: sqlite, path: x}\n' +
        '  f: just-text\n' +
        '  g: {engine: embedded, path: x.grist, url: "https://g.example.com"}\n',
    );
    expect(problems).toEqual([
      'documents.a: is neither a Grist document (url, doc_id, api_key) nor an embedded one (engine: embedded, path) (an embedded document needs "engine: embedded")',
      'documents.b: is neither a Grist document (url, doc_id, api_key) nor an embedded one (engine: embedded, path)',
      'documents.c.api_key: required',
      'documents.d.path: required',
      'documents.e.engine: "sqlite" is not one of grist, embedded',
      'documents.f: must be a Grist document (url, doc_id, api_key) or an embedded one (engine: embedded, path)',
      'documents.g.url: unknown key (allowed: engine, path)',
    ]);
  });

  it('rejects bad URLs without echoing credentials in them', () => {
    const problems = problemsOf(
      'documents:\n' +
        '  a: {url: "grist.example.com", doc_id: d, api_key: k}\n' +
        '  b: {url: "ftp://grist.example.com", doc_id: d, api_key: k}\n' +
        '  c: {url: "https://user:pw@", doc_id: d, api_key: k}\n',
    );
    expect(problems).toEqual([
      'documents.a.url: "grist.example.com" is not a valid http(s) URL',
      'documents.b.url: "ftp://grist.example.com" is not a valid http(s) URL',
      'documents.c.url: "https://***@" is not a valid http(s) URL',
    ]);
  });

  it('names unknown keys at every level', () => {
    const problems = problemsOf(
      'documnets: {}\n' +
        'documents:\n  sales: {url: "https://g.example.com", doc_id: abc, api_key: k, hots_header: h}\n' +
        'tokens:\n  - {token: t0, name: a, scopes: [], scope: [{document: sales, permissions: [read], perms: [x]}]}\n' +
        'grist_api: {api_key: k, data_dir: d, port: 1}\n',
    );
    expect(problems).toEqual([
      'documnets: unknown key (allowed: documents, tokens, grist_api, sessions, public_url, metrics, allowed_origins)',
      'documents.sales.hots_header: unknown key (allowed: engine, url, doc_id, api_key, host_header, max_request_bytes)',
      'tokens[0].scope[0].perms: unknown key (allowed: document, permissions, tables)',
      'tokens[0].scopes: unknown key (allowed: token, token_sha256, name, scope)',
      'grist_api.port: unknown key (allowed: api_key, data_dir)',
    ]);
  });

  it('rejects wrong shapes at the top level', () => {
    expect(problemsOf('- a\n- b\n')).toEqual(['(root): must be a mapping, not a list']);
    expect(problemsOf('')).toEqual(['(root): the file is empty (expected documents: and tokens:)']);
    expect(problemsOf('# only a comment\n')).toEqual(['(root): the file is empty (expected documents: and tokens:)']);
    expect(problemsOf('documents: [a]\ntokens: {a: 1}\n')).toEqual([
      'documents: must be a mapping of document names to documents, not a list',
      'tokens: must be a list, not a mapping',
    ]);
    expect(problemsOf('grist_api: {api_key: k}\n')).toEqual(['grist_api.data_dir: required']);
  });

  it('reports YAML syntax errors with a position, without the line content', () => {
    const problems = problemsOf('documents:\n  a: {url: "x\n  b: [\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^YAML syntax: .*\(line \d+, column \d+\)$/);
    expect(problemsOf('a: 1\na: 2\n')[0]).toMatch(/^YAML syntax: .*unique.*\(line 2, column 1\)$/i);
    // A cascade of errors is cut short.
    expect(problemsOf('a: {\nb: }}}\n- ]]\n: : :\n').length).toBeLessThanOrEqual(4);
    // The offending text (maybe a secret) is not echoed.
    expect(problemsOf('api_key: "s3cr3t\n').join('\n')).not.toContain('s3cr3t');
    const quoted = problemsOf('tokens: {token: x}}\ns3cr3t\n').join('\n');
    expect(quoted).toContain('YAML syntax');
    expect(quoted).not.toContain('s3cr3t');
  });

  it('reports every problem at once, and the message lists them under the source', () => {
    let error: ConfigError | undefined;
    try {
      parseConfig(
        'documents:\n  sales: {url: "nope", doc_id: abc, api_key: "${MISSING}"}\n' +
          'tokens:\n  - {token: t0, name: a, scope: [{document: salez, permissions: [admin]}]}\n  - {token: t0, name: a, scope: []}\n',
        { baseDir: BASE, env: {}, source: 'my.yaml' },
      );
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.source).toBe('my.yaml');
    expect(error!.problems).toEqual([
      'documents.sales.api_key: environment variable MISSING is not set',
      'documents.sales.url: "nope" is not a valid http(s) URL',
      'tokens[0].scope[0].permissions[0]: "admin" is not one of read, write, schema',
      'tokens[0].scope[0].document: unknown document "salez" (known: sales)',
      'tokens[1].scope: must not be empty',
      'tokens[1].token: same token as tokens[0] (every agent needs its own token)',
      'tokens[1].name: duplicate name "a" (also tokens[0])',
    ]);
    expect(error!.message).toBe(`Invalid config my.yaml (7 problems):\n${error!.problems.map((p) => `  - ${p}`).join('\n')}`);
  });

  it('does not blame a scope for a declared document that is itself invalid', () => {
    const problems = problemsOf('documents:\n  demo: {engine: embedded}\ntokens:\n  - {token: t0, name: a, scope: [{document: demo, permissions: [read]}]}\n');
    expect(problems).toEqual(['documents.demo.path: required']);
  });

  it('treats a key named __proto__ as an ordinary (unknown) key', () => {
    const problems = problemsOf('documents:\n  d: {url: "https://g.example.com", doc_id: d, api_key: k, __proto__: {x: 1}}\n');
    expect(problems).toEqual(['documents.d.__proto__: unknown key (allowed: engine, url, doc_id, api_key, host_header, max_request_bytes)']);
  });
});

describe('parseConfig: sessions and public_url', () => {
  const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseConfig(text, { baseDir: BASE, env, source: path.join(BASE, 'gw.yaml') });

  it('defaults to a SQLite store next to the config file, named after it, 1000 live tokens per agent', () => {
    expect(parse('documents: {}\n').sessions).toEqual({ store: 'sqlite', path: path.join(BASE, 'gw.sessions.sqlite'), maxPerAgent: 1000 });
    expect(parseConfig('documents: {}\n', { baseDir: BASE, env: {} }).sessions).toMatchObject({ path: path.join(BASE, 'grist-gateway.sessions.sqlite') });
    expect(parse('sessions:\n').sessions?.store).toBe('sqlite');
    expect(parse('public_url:\n').publicUrl).toBeUndefined();
  });

  it('reads each store with its own keys, paths relative to the config folder', () => {
    expect(parse('sessions: {store: sqlite, path: ./data/s.sqlite, max_per_agent: 5}\n').sessions).toEqual({
      store: 'sqlite',
      path: path.join(BASE, 'data', 's.sqlite'),
      maxPerAgent: 5,
    });
    expect(parse('sessions: {store: memory}\n').sessions).toEqual({ store: 'memory', maxPerAgent: 1000 });
    expect(parse('sessions: {store: redis, url: "${REDIS_URL}", prefix: "gw:"}\n', { REDIS_URL: 'redis://:pw@10.0.0.5:6379/2' }).sessions).toEqual({
      store: 'redis',
      url: 'redis://:pw@10.0.0.5:6379/2',
      prefix: 'gw:',
      maxPerAgent: 1000,
    });
  });

  it('names each misplaced or missing key, and never echoes a Redis URL', () => {
    expect(problemsOf('sessions: {store: redis}\n')).toEqual(['sessions.url: required for store: redis (e.g. redis://127.0.0.1:6379/0)']);
    expect(problemsOf('sessions: {store: redis, url: "http://user:secret@h"}\n')).toEqual(['sessions.url: must be a redis:// or rediss:// URL']);
    expect(problemsOf('sessions: {store: memory, path: x, url: "redis://h"}\n')).toEqual([
      'sessions.path: only applies to store: sqlite (this store is memory)',
      'sessions.url: only applies to store: redis (this store is memory)',
    ]);
    expect(problemsOf('sessions: {path: x, prefix: p}\n')).toEqual(['sessions.prefix: only applies to store: redis (this store is sqlite)']);
    expect(problemsOf('sessions: {store: postgres}\n')).toEqual(['sessions.store: "postgres" is not one of sqlite, memory, redis']);
    expect(problemsOf('sessions: {max_per_agent: 0}\n')).toEqual(['sessions.max_per_agent: must be a whole number from 1 to 9999999']);
    expect(problemsOf('sessions: {ttl: 5}\n')).toEqual(['sessions.ttl: unknown key (allowed: store, path, url, prefix, max_per_agent)']);
    expect(problemsOf('sessions: [sqlite]\n')).toEqual(['sessions: must be a mapping, not a list']);
  });

  it('reads public_url as an absolute http(s) URL without trailing slash', () => {
    expect(parse('public_url: https://gw.example.com/base/\n').publicUrl).toBe('https://gw.example.com/base');
    expect(problemsOf('public_url: gw.example.com\n')).toEqual(['public_url: "gw.example.com" is not a valid http(s) URL']);
  });
});
