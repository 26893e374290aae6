import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProxyDocumentation, dataMethodNames, errorCodeNames, methods, permissionLabel, proxyDocumentation, renderProxyDocumentation } from '../src/index.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('buildProxyDocumentation', () => {
  const docs = buildProxyDocumentation({ proxyUrl: 'https://gateway.example.com/api/v1/proxy' });

  it('matches the get_proxy_documentation output schema', () => {
    expect(proxyDocumentation.safeParse(docs).error).toBeUndefined();
    expect(methods.get_proxy_documentation.output.safeParse(buildProxyDocumentation()).error).toBeUndefined();
  });

  it('lists every data method with its permission, generated fields and result keys', () => {
    expect(Object.keys(docs.methods)).toEqual(dataMethodNames);
    for (const name of dataMethodNames) {
      const entry = docs.methods[name];
      if (!entry) throw new Error(`missing ${name}`);
      expect(entry.permission).toBe(permissionLabel(methods[name]));
      expect(entry.description).toBe(methods[name].summary);
      // `document` is fixed by the session token, so it is not listed per method.
      expect(Object.keys(entry.fields)).toEqual(Object.keys(methods[name].input.shape).filter((f) => f !== 'document'));
      expect(entry.result).toEqual(Object.keys(methods[name].output.shape));
    }
    // The Python documentation's field map, same format.
    expect(docs.methods.get_records?.fields).toEqual(
      expect.objectContaining({ table: 'string', limit: 'integer (optional)', cursor: 'string (optional)' }),
    );
    expect(docs.methods.add_records?.fields).toEqual({ table: 'string', records: 'array of object' });
  });

  it('keeps the Python documentation keys, lists every error code and points to the OpenAPI document', () => {
    for (const key of ['description', 'endpoints', 'authentication', 'request_format', 'methods', 'response_format', 'error_codes', 'example_script']) {
      expect(docs).toHaveProperty(key);
    }
    expect(docs.error_codes).toEqual(errorCodeNames);
    expect(Object.keys(docs.errors)).toEqual(errorCodeNames);
    expect(docs.errors.NOT_FOUND).toMatch(/^404: /);
    expect(docs.openapi_url).toBe('https://gateway.example.com/api/v1/openapi.json');
  });

  it('renders as text with every method on one line and both examples, each said once', () => {
    const text = renderProxyDocumentation(docs);
    for (const name of dataMethodNames) expect(text.split('\n').filter((line) => line.startsWith(`- ${name} (`))).toHaveLength(1);
    expect(text).toContain('- get_records (read) table: string, filter?: object');
    expect(text).toContain('-> records, next_cursor');
    expect(text).toContain(docs.example_script);
    expect(text).toContain(docs.example_script_typescript);
    expect(text.split(docs.example_script).length).toBe(2);
    expect(text).toContain('GET https://gateway.example.com/api/v1/openapi.json');
  });

  it('uses the absolute URL when given, the path otherwise', () => {
    expect(docs.endpoints.proxy).toBe('POST https://gateway.example.com/api/v1/proxy - JSON operations');
    expect(docs.endpoints.attachments_upload).toContain('https://gateway.example.com/api/v1/attachments');
    expect(docs.example_script).toContain('else "https://gateway.example.com/api/v1/proxy"');
    const relative = buildProxyDocumentation();
    expect(relative.proxy_url).toBe('/api/v1/proxy');
    expect(relative.endpoints.proxy).toMatch(/^POST \/api\/v1\/proxy /);
    expect(relative.example_script).toContain('else None');
  });
});

/**
 * The example scripts must actually run: they are executed against a small stand-in of the proxy on
 * 127.0.0.1 that speaks the proxy's envelope and pages get_records with next_cursor.
 */
describe('example scripts', () => {
  const token = 'sess_test_token';
  const rows = Array.from({ length: 1203 }, (_, i) => ({ id: i + 1, Item: `item ${i + 1}` }));
  const calls: string[] = [];
  let server: http.Server;
  let proxyUrl = '';
  let dir = '';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const reply = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { success: false, error: 'Invalid token', code: 'INVALID_TOKEN' });
        const request = JSON.parse(body) as Record<string, unknown>;
        const { method, ...fields } = request;
        calls.push(String(method));
        if (method === 'list_tables') return reply(200, { success: true, data: { tables: ['Orders'] } });
        if (method === 'describe_table') {
          const parsed = methods.describe_table.input.safeParse(fields);
          if (!parsed.success) return reply(400, { success: false, error: 'bad', code: 'INVALID_REQUEST' });
          return reply(200, { success: true, data: { table: 'Orders', columns: [{ id: 'Item', type: 'Text', label: 'Item', formula: '', isFormula: false, widgetOptions: null }] } });
        }
        if (method === 'get_records') {
          const parsed = methods.get_records.input.safeParse(fields);
          if (!parsed.success || parsed.data.table !== 'Orders') return reply(400, { success: false, error: 'bad', code: 'INVALID_REQUEST' });
          const start = parsed.data.cursor ? Number(parsed.data.cursor) : 0;
          const limit = parsed.data.limit ?? rows.length;
          const page = rows.slice(start, start + limit);
          const next = start + limit < rows.length ? String(start + limit) : null;
          return reply(200, { success: true, data: { records: page, next_cursor: next } });
        }
        return reply(400, { success: false, error: `Unknown method: ${String(method)}`, code: 'INVALID_REQUEST' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/proxy`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-docs-'));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the Python example (standard library only) through every page', async () => {
    const script = path.join(dir, 'example.py');
    fs.writeFileSync(script, buildProxyDocumentation({ proxyUrl }).example_script);
    calls.length = 0;
    const { stdout } = await run('python3', [script, token], { env: { ...process.env, PYTHONPATH: '' } });
    expect(stdout).toContain('1203 records in Orders');
    expect(calls).toEqual(['list_tables', 'get_records', 'get_records']);
  }, 30_000);

  it('makes the Python example fail loudly on an error reply', async () => {
    const script = path.join(dir, 'example_bad.py');
    fs.writeFileSync(script, buildProxyDocumentation().example_script);
    const failure = await run('python3', [script, 'wrong_token', proxyUrl]).then(
      () => null,
      (err: { stderr: string }) => err,
    );
    expect(failure?.stderr).toContain('list_tables failed: INVALID_TOKEN: Invalid token');
    expect(failure?.stderr).not.toContain('Traceback');
  }, 30_000);

  it('runs the TypeScript example (global fetch) through every page', async () => {
    const script = path.join(dir, 'example.ts');
    fs.writeFileSync(script, buildProxyDocumentation().example_script_typescript);
    calls.length = 0;
    const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
    const { stdout } = await run(tsx, [script, token, proxyUrl, 'Orders']);
    expect(stdout).toContain('1203 records in Orders');
    expect(calls).toEqual(['get_records', 'get_records']);
  }, 30_000);
});
