/**
 * The `metrics:` block of the config file. Metrics are off unless it says otherwise:
 *
 * ```yaml
 * metrics: true                  # GET /metrics open to anyone who can reach the gateway
 * metrics:
 *   token: ${METRICS_TOKEN}      # GET /metrics needs "Authorization: Bearer <token>"
 * ```
 *
 * Returns problems as messages relative to `metrics` (the config parser adds the path).
 */
import { z } from 'zod';

/** The parsed `metrics:` block: present means on. */
export interface MetricsConfig {
  /** Bearer token a scraper must present (secret: never log it); open when absent. */
  token?: string;
}

const tokenBlock = z.strictObject(
  { token: z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be text') }).min(16, 'must be at least 16 characters') },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown key (allowed: token)' : undefined) },
);

/** Reads the raw `metrics:` value (YAML scalars arrive as text). */
export function parseMetricsConfig(raw: unknown): { ok: true; value: MetricsConfig | undefined } | { ok: false; error: z.ZodError | string } {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (typeof raw === 'string') {
    const flag = raw.trim().toLowerCase();
    if (flag === 'true') return { ok: true, value: {} };
    if (flag === 'false') return { ok: true, value: undefined };
    return { ok: false, error: `must be true, false, or a mapping with token (got ${JSON.stringify(raw)})` };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, error: 'must be true, false, or a mapping with token' };
  const parsed = tokenBlock.safeParse(raw);
  return parsed.success ? { ok: true, value: { token: parsed.data.token } } : { ok: false, error: parsed.error };
}
