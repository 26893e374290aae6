/**
 * Bulk import of a CSV file into a table, with a progress bar on stderr.
 *
 *   SESSION=sess_... npx tsx scripts/examples/import-csv.ts scripts/examples/products.csv Products
 *
 * The first CSV line names the columns. When the table exists, the CSV's columns must exist in it
 * (values are converted to each column's type); otherwise the table is created, with column types
 * guessed from the values (Int, Numeric, Bool or Text). Records go in chunks of CHUNK_SIZE (default 500),
 * two calls at a time; if a chunk fails the script says exactly which CSV lines were imported and which
 * were not. GATEWAY_URL defaults to http://127.0.0.1:3000. The session needs `write` (and `schema` to
 * create the table).
 */
import fs from 'node:fs';
import { addRecordsInChunks, BulkWriteError, createGatewayClient, gatewayError, type ChunkProgress } from '@grist-gateway/client';
import { columnId, guessType, parseCsv, toCell } from './csv.js';

const [file, table] = process.argv.slice(2);
const token = process.env.SESSION;
if (!file || !table || !token) {
  console.error('Usage: SESSION=sess_... npx tsx scripts/examples/import-csv.ts <file.csv> <Table>');
  process.exit(2);
}
const chunkSize = Number(process.env.CHUNK_SIZE ?? 500);

/** Draws `[#####-----] 50% 500/1000 rows`; redrawn in place on a terminal, one line per update otherwise. */
function drawProgress({ done, total }: Pick<ChunkProgress, 'done' | 'total'>): void {
  const width = 30;
  const ratio = total === 0 ? 1 : done / total;
  const filled = Math.round(ratio * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total} rows`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}${done === total ? '\n' : ''}` : `${line}\n`);
}

const [header, ...lines] = parseCsv(fs.readFileSync(file, 'utf8'));
if (!header) {
  console.error(`${file} is empty`);
  process.exit(1);
}
const ids = header.map(columnId);
const gg = createGatewayClient({ url: process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000', token });

try {
  const { tables } = await gg.list_tables.query({});
  let types: string[];
  if (tables.includes(table)) {
    const { columns } = await gg.describe_table.query({ table });
    const known = new Map(columns.map((c) => [c.id, c.type]));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) {
      console.error(`Table "${table}" has no column ${missing.map((m) => `"${m}"`).join(', ')} (it has: ${[...known.keys()].join(', ')})`);
      process.exit(1);
    }
    types = ids.map((id) => known.get(id) ?? 'Text');
  } else {
    types = ids.map((_, c) => guessType(lines.map((l) => l[c] ?? '')));
    await gg.create_table.mutate({ table_id: table, columns: ids.map((id, c) => ({ id, type: types[c]! })) });
    console.error(`Created table "${table}" (${ids.map((id, c) => `${id}: ${types[c]}`).join(', ')})`);
  }
  const records = lines.map((line, n) => {
    if (line.length !== ids.length) throw new Error(`${file} line ${n + 2}: ${line.length} fields, the header has ${ids.length}`);
    return Object.fromEntries(ids.map((id, c) => [id, toCell(line[c]!, types[c]!)]));
  });
  drawProgress({ done: 0, total: records.length });
  const { record_ids } = await addRecordsInChunks(gg, table, records, { chunkSize, concurrency: 2, onProgress: drawProgress });
  console.log(`Imported ${record_ids.length} records into ${table} (row ids ${record_ids[0] ?? '-'}..${record_ids.at(-1) ?? '-'})`);
} catch (err) {
  if (err instanceof BulkWriteError) {
    // CSV line = index + 2 (line 1 is the header).
    const lineList = (indexes: number[]) => (indexes.length > 10 ? `${indexes.slice(0, 10).map((i) => i + 2).join(', ')}, ...` : indexes.map((i) => i + 2).join(', '));
    console.error(`\n${err.message}`);
    console.error(`Imported ${err.writtenIds.length} records; not imported: ${err.notWrittenIndexes.length} (CSV lines ${lineList(err.notWrittenIndexes)})`);
    process.exit(1);
  }
  const e = gatewayError(err);
  console.error(e ? `${e.code}: ${e.message}` : err instanceof Error ? err.message : err);
  process.exit(1);
}
