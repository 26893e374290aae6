/**
 * `get_records` without `limit` on the JSON proxy: the answer is the whole (filtered, sorted) table, so
 * it is read in keyset slices through the router and streamed out as it goes, never held whole. Each
 * slice is one ordinary router call (permission check, log line); between slices the event loop serves
 * other requests, and a slow reader only slows its own stream (a slice is read when the socket wants
 * more). The bytes are exactly what the buffered answer would be: `{"success":true,"data":{"records":
 * [...],"next_cursor":null}}`.
 *
 * An error on the first slice is an ordinary error answer; one after the stream started (the table was
 * deleted meanwhile) can only cut the stream short, which a client sees as invalid JSON.
 */
import { limits } from '../limits/index.js';
import { nextTurn } from '../util/turns.js';

/** The router's get_records as the proxy calls it. */
type GetRecords = (input: unknown) => Promise<{ records: unknown[]; next_cursor: string | null }>;

/** True when a proxy call is a get_records that would return the whole table. */
export function isUnboundedRead(method: string, input: Record<string, unknown>): boolean {
  return method === 'get_records' && input.limit === undefined && input.cursor === undefined;
}

/**
 * Runs the first slice (errors reach the caller as usual) and returns the data of a small answer, or a
 * stream of the whole answer's bytes.
 */
export async function streamAllRecords(
  getRecords: GetRecords,
  input: Record<string, unknown>,
  sliceRows: number = limits.readSliceRows,
): Promise<{ data: { records: unknown[]; next_cursor: null } } | { stream: ReadableStream<Uint8Array> }> {
  const first = await getRecords({ ...input, limit: sliceRows });
  if (first.next_cursor === null) return { data: { records: first.records, next_cursor: null } };
  const encoder = new TextEncoder();
  let cursor: string | null = first.next_cursor;
  let wroteAny = false;
  const slice = (records: readonly unknown[]): Uint8Array => {
    if (records.length === 0) return new Uint8Array(0);
    // One JSON text for the slice's array, encoded once; its brackets are cut off on the bytes (the '['
    // becomes the ',' after the previous slice): the same bytes as stringifying each record and joining
    // them, without 1,000 small strings, their join and a copy per slice.
    const bytes = encoder.encode(JSON.stringify(records));
    const first = !wroteAny;
    wroteAny = true;
    if (first) return bytes.subarray(1, bytes.length - 1);
    bytes[0] = 0x2c; // ','
    return bytes.subarray(0, bytes.length - 1);
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"success":true,"data":{"records":['));
      controller.enqueue(slice(first.records));
    },
    async pull(controller) {
      if (cursor === null) {
        controller.enqueue(encoder.encode('],"next_cursor":null}}'));
        controller.close();
        return;
      }
      // Let other requests run between slices (one lane for all long work, util/turns.ts).
      await nextTurn();
      try {
        const page = await getRecords({ ...input, limit: sliceRows, cursor });
        cursor = page.next_cursor;
        controller.enqueue(slice(page.records));
      } catch (err) {
        controller.error(err);
      }
    },
  }, { highWaterMark: 1 });
  return { stream };
}
