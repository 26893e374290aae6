/** Small helpers shared by the router files. */
import type { DocBackend } from '../backend/types.js';
import type { Context, Grant } from '../context.js';
import { GatewayError } from '../errors.js';

/** The backend of the document the caller's grant is for. */
export function backendOf(ctx: Context & { grant: Grant }): DocBackend {
  return ctx.services.backends.get(ctx.grant.document);
}

/** Refuses a batch larger than the configured limit, naming the field and the limit. */
export function checkBatchSize(ctx: Context, field: string, size: number): void {
  const max = ctx.services.limits.maxRecordsPerWrite;
  if (size > max) {
    throw new GatewayError(
      'PAYLOAD_TOO_LARGE',
      `${field}: ${size} items is more than the ${max} one call may carry; split the work into several calls`,
    );
  }
}

/** Parses a column's `widgetOptions` JSON string into an object (null when empty or not an object). */
export function parseWidgetOptions(text: string): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
