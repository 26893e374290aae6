/**
 * A decoder for the Python `marshal` values Grist stores as SQLite blobs (grist-api.md section 7.4): error
 * cells (`['E', 'ZeroDivisionError', ...]`), lists and booleans in `Any` columns, alt text that starts with
 * a digit, and cells converted by a column type change. `POST /sql` hands them over as
 * `{"type": "Buffer", "data": [bytes]}`; the HTTP backend decodes them to the value `GET /records` shows.
 *
 * Only the value types Grist writes are supported (None, booleans, ints, longs, floats, strings, bytes,
 * lists, tuples, dicts, with or without marshal's reference flag); anything else throws
 * {@link MarshalError}, and the reader then falls back to `GET /records` for that page.
 */

/** The blob could not be decoded. */
export class MarshalError extends Error {
  override readonly name = 'MarshalError';
}

/** Decodes one marshalled value. */
export function unmarshal(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) throw new MarshalError(`${bytes.length - reader.pos} bytes left after the value`);
  return value;
}

const FLAG_REF = 0x80;
const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

class Reader {
  pos = 0;
  readonly #view: DataView;
  readonly #refs: unknown[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new MarshalError('truncated marshal data');
  }

  #u8(): number {
    this.#need(1);
    return this.bytes[this.pos++] as number;
  }

  #i32(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  #text(length: number, utf8: boolean): string {
    if (length < 0) throw new MarshalError('negative length');
    this.#need(length);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return utf8 ? decoder.decode(slice) : latin1.decode(slice);
  }

  /** Keeps a slot for a flagged value (marshal version >= 3 references it later with 'r'). */
  #keep<T>(flagged: boolean, value: T): T {
    if (flagged) this.#refs.push(value);
    return value;
  }

  value(depth: number): unknown {
    if (depth > 64) throw new MarshalError('nested too deeply');
    const byte = this.#u8();
    const flagged = (byte & FLAG_REF) !== 0;
    const code = String.fromCharCode(byte & ~FLAG_REF);
    switch (code) {
      case 'N': return null;
      case 'T': return true;
      case 'F': return false;
      case 'i': return this.#keep(flagged, this.#i32());
      case 'I': {
        this.#need(8);
        const v = this.#view.getBigInt64(this.pos, true);
        this.pos += 8;
        return this.#keep(flagged, Number(v));
      }
      case 'l': {
        // Python long: a signed count of 15-bit digits, least significant first.
        const n = this.#i32();
        let v = 0;
        let scale = 1;
        for (let i = 0; i < Math.abs(n); i++) {
          this.#need(2);
          v += this.#view.getUint16(this.pos, true) * scale;
          this.pos += 2;
          scale *= 32768;
        }
        return this.#keep(flagged, n < 0 ? -v : v);
      }
      case 'g': {
        this.#need(8);
        const v = this.#view.getFloat64(this.pos, true);
        this.pos += 8;
        return this.#keep(flagged, v);
      }
      case 'f': return this.#keep(flagged, Number(this.#text(this.#u8(), false)));
      case 'u': case 't': return this.#keep(flagged, this.#text(this.#i32(), true));
      case 's': return this.#keep(flagged, this.#text(this.#i32(), false));
      case 'a': case 'A': return this.#keep(flagged, this.#text(this.#i32(), false));
      case 'z': case 'Z': return this.#keep(flagged, this.#text(this.#u8(), false));
      case '[': case '(': return this.#list(this.#i32(), flagged, depth);
      case ')': return this.#list(this.#u8(), flagged, depth);
      case '{': {
        const out: Record<string, unknown> = {};
        this.#keep(flagged, out);
        for (;;) {
          this.#need(1);
          if (this.bytes[this.pos] === 0x30) {
            this.pos += 1;
            return out;
          }
          const key = this.value(depth + 1);
          out[String(key)] = this.value(depth + 1);
        }
      }
      case 'r': {
        const index = this.#i32();
        if (index < 0 || index >= this.#refs.length) throw new MarshalError('bad reference');
        return this.#refs[index];
      }
      default:
        throw new MarshalError(`unsupported marshal code 0x${byte.toString(16)}`);
    }
  }

  #list(length: number, flagged: boolean, depth: number): unknown[] {
    if (length < 0 || length > this.bytes.length) throw new MarshalError('bad list length');
    const out: unknown[] = [];
    this.#keep(flagged, out);
    for (let i = 0; i < length; i++) out.push(this.value(depth + 1));
    return out;
  }
}
