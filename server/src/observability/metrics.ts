/**
 * Prometheus metrics of method calls (prom-client), fed by the per-call hook (`calls.ts`):
 *
 * - `grist_gateway_calls_total{entry, method, document, status}`
 * - `grist_gateway_call_errors_total{method, document, code}`
 * - `grist_gateway_rows_total{method, document}`: rows read or written
 * - `grist_gateway_call_duration_seconds{method, document}`: latency histogram
 * - the process and Node.js defaults (`process_*`, `nodejs_*`)
 *
 * Each gateway has its own registry (several gateways may share a process, as in tests). Label values are
 * bounded: `document` is a configured document name, `""` for agent-level methods, or `"(unknown)"` for a
 * name a caller made up, so no caller can grow the series without limit.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRecord } from './calls.js';

/** Latency buckets in seconds: from a cached embedded read to a slow bulk write on a remote Grist. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The `document` label of a call that named a document that is not configured. */
export const UNKNOWN_DOCUMENT = '(unknown)';

/** Options of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Whether a name is a configured document (other names are counted as {@link UNKNOWN_DOCUMENT}). */
  isDocument: (name: string) => boolean;
  /** Also collect the process and Node.js default metrics (default true). */
  defaultMetrics?: boolean;
}

/** The gateway's metrics registry. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #isDocument: (name: string) => boolean;
  readonly #calls: Counter<'entry' | 'method' | 'document' | 'status'>;
  readonly #errors: Counter<'method' | 'document' | 'code'>;
  readonly #rows: Counter<'method' | 'document'>;
  readonly #duration: Histogram<'method' | 'document'>;

  constructor(options: GatewayMetricsOptions) {
    this.#isDocument = options.isDocument;
    const registers = [this.registry];
    this.#calls = new Counter({
      name: 'grist_gateway_calls_total',
      help: 'Method calls, by entry point (proxy, trpc, mcp), method, document and status (ok, error).',
      labelNames: ['entry', 'method', 'document', 'status'],
      registers,
    });
    this.#errors = new Counter({
      name: 'grist_gateway_call_errors_total',
      help: 'Failed method calls, by method, document and error code.',
      labelNames: ['method', 'document', 'code'],
      registers,
    });
    this.#rows = new Counter({
      name: 'grist_gateway_rows_total',
      help: 'Rows read or written by successful calls, by method and document.',
      labelNames: ['method', 'document'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'grist_gateway_call_duration_seconds',
      help: 'Duration of method calls in seconds, by method and document.',
      labelNames: ['method', 'document'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one finished call. */
  observeCall(call: CallRecord): void {
    const document = call.document === null ? '' : this.#isDocument(call.document) ? call.document : UNKNOWN_DOCUMENT;
    const method = call.method;
    this.#calls.inc({ entry: call.entry, method, document, status: call.status });
    if (call.status === 'error') this.#errors.inc({ method, document, code: call.code ?? 'INTERNAL_ERROR' });
    else if (call.rows !== undefined && call.rows > 0) this.#rows.inc({ method, document }, call.rows);
    this.#duration.observe({ method, document }, call.durationMs / 1000);
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
