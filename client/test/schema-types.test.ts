/**
 * Column-level types of a client created with a generated schema (`fixtures/shop.schema.ts`, produced by
 * the codegen from `fixtures/shop.description.ts`). Compile-time checks: `npx tsc -p tsconfig.json`
 * fails when a type drifts or when an `@ts-expect-error` below stops being an error. The calls are
 * never made (the functions are only type-checked); the runtime behaviour is covered by
 * typed-client.test.ts against a live gateway.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  addRecordsInChunks,
  createGatewayClient,
  iterateRecords,
  updateRecordsInChunks,
  upsertRecords,
  type FlatRecord,
  type GatewayClient,
  type NewRecord,
  type TableFields,
  type TableRecord,
} from '../src/index.js';
import type { CellValue, Schema } from './fixtures/shop.schema.js';

const gg = createGatewayClient<Schema>({ url: 'http://127.0.0.1:1', token: 'sess_x' });
const plain = createGatewayClient({ url: 'http://127.0.0.1:1', token: 'sess_x' });

type Product = TableRecord<Schema, 'Products'>;
type Order = TableRecord<Schema, 'Orders'>;

describe('a client typed by a schema', () => {
  it('maps every Grist column type', () => {
    expectTypeOf<Product['id']>().toEqualTypeOf<number>();
    expectTypeOf<Product['Name']>().toEqualTypeOf<string>();
    expectTypeOf<Product['Category']>().toEqualTypeOf<'Hardware' | 'Software'>();
    expectTypeOf<Product['Price']>().toEqualTypeOf<number>();
    expectTypeOf<Product['Stock']>().toEqualTypeOf<number>();
    expectTypeOf<Product['InStock']>().toEqualTypeOf<boolean>();
    expectTypeOf<Product['Tags']>().toEqualTypeOf<['L', ...('new' | 'sale')[]] | null>();
    expectTypeOf<Product['Notes']>().toEqualTypeOf<CellValue>();
    expectTypeOf<Product['Photos']>().toEqualTypeOf<['L', ...number[]] | null>();
    expectTypeOf<Product['Vat']>().toEqualTypeOf<number>();
    expectTypeOf<Product['_errors']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<Order['Product']>().toEqualTypeOf<number>();
    expectTypeOf<Order['Related']>().toEqualTypeOf<['L', ...number[]] | null>();
    expectTypeOf<Order['Day']>().toEqualTypeOf<number>();
    expectTypeOf<Order['At']>().toEqualTypeOf<number>();
    // A Choice column without listed choices takes any text.
    expectTypeOf<Order['Status']>().toEqualTypeOf<string>();
  });

  it('keeps formula columns out of the write types', () => {
    expectTypeOf<keyof TableFields<Schema, 'Products'>>().toEqualTypeOf<
      'Name' | 'Category' | 'Price' | 'Stock' | 'InStock' | 'Tags' | 'Notes' | 'Photos' | 'Blank'
    >();
    expectTypeOf<TableFields<Schema, 'Orders'>['Qty']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<'Total'>().not.toExtend<keyof TableFields<Schema, 'Orders'>>();
  });

  it('types get_records: table names, filter and sort keys, rows', () => {
    const read = async () => {
      const { records, next_cursor } = await gg.get_records.query({ table: 'Products', filter: { Category: ['Hardware'] }, sort: '-Price' });
      expectTypeOf(records).toEqualTypeOf<Product[]>();
      expectTypeOf(next_cursor).toEqualTypeOf<string | null>();
      await gg.get_records.query({ table: 'Orders', filter: { Qty: 3, id: [1, 2] }, sort: ['Product', '-At', 'id'], limit: 10 });
      // @ts-expect-error misspelled table
      await gg.get_records.query({ table: 'Prodcts' });
      // @ts-expect-error misspelled column in a filter
      await gg.get_records.query({ table: 'Products', filter: { Prise: [1] } });
      // @ts-expect-error a filter value of the wrong type
      await gg.get_records.query({ table: 'Products', filter: { Price: ['cheap'] } });
      // @ts-expect-error a value that is not one of the choices
      await gg.get_records.query({ table: 'Products', filter: { Category: 'Food' } });
      // @ts-expect-error misspelled sort key
      await gg.get_records.query({ table: 'Products', sort: '-Prise' });
      // @ts-expect-error misspelled sort key in a list
      await gg.get_records.query({ table: 'Products', sort: ['Name', 'Prise'] });
      // @ts-expect-error a column of another table
      await gg.get_records.query({ table: 'Products', sort: 'Qty' });
    };
    expectTypeOf(read).toBeFunction();
  });

  it('types add_records, update_records, add_or_update_records and delete_records', () => {
    const write = async () => {
      const { record_ids } = await gg.add_records.mutate({
        table: 'Products',
        records: [{ Name: 'Pen', Price: 1.5, Category: 'Hardware', Tags: ['L', 'new'], Photos: null, Blank: 'x' }, { Price: null }],
      });
      expectTypeOf(record_ids).toEqualTypeOf<number[]>();
      // @ts-expect-error misspelled table
      await gg.add_records.mutate({ table: 'Prodcts', records: [{ Name: 'Pen' }] });
      // @ts-expect-error misspelled column
      await gg.add_records.mutate({ table: 'Products', records: [{ Prise: 1 }] });
      // @ts-expect-error a string written to a Numeric column
      await gg.add_records.mutate({ table: 'Products', records: [{ Price: '1.5' }] });
      // @ts-expect-error a write to a formula column
      await gg.add_records.mutate({ table: 'Products', records: [{ Vat: 0.3 }] });
      // @ts-expect-error a ChoiceList value that is not a Grist list
      await gg.add_records.mutate({ table: 'Products', records: [{ Tags: ['new'] }] });

      await gg.update_records.mutate({ table: 'Orders', records: [{ id: 1, fields: { Qty: 2, Product: 3 } }] });
      // @ts-expect-error a write to a formula column
      await gg.update_records.mutate({ table: 'Orders', records: [{ id: 1, fields: { Total: 2 } }] });
      // @ts-expect-error a string written to an Int column
      await gg.update_records.mutate({ table: 'Orders', records: [{ id: 1, fields: { Qty: 'two' } }] });

      await gg.add_or_update_records.mutate({ table: 'Products', records: [{ require: { Name: 'Pen' }, fields: { Stock: 3 } }], on_many: 'all' });
      // @ts-expect-error misspelled column in require
      await gg.add_or_update_records.mutate({ table: 'Products', records: [{ require: { Nmae: 'Pen' } }] });
      // @ts-expect-error a write to a formula column
      await gg.add_or_update_records.mutate({ table: 'Products', records: [{ require: { Name: 'Pen' }, fields: { Vat: 1 } }] });

      await gg.delete_records.mutate({ table: 'Orders', record_ids: [1] });
      // @ts-expect-error misspelled table
      await gg.delete_records.mutate({ table: 'Order', record_ids: [1] });
      // Methods the schema does not concern keep their own types.
      await gg.sql_query.query({ query: 'SELECT 1' });
    };
    expectTypeOf(write).toBeFunction();
  });

  it('types the helpers', () => {
    const helpers = async () => {
      for await (const order of iterateRecords(gg, 'Orders', { filter: { Status: 'new' }, sort: ['-Day'], pageSize: 100 })) {
        expectTypeOf(order).toEqualTypeOf<Order>();
      }
      // @ts-expect-error misspelled table
      iterateRecords(gg, 'Oders');
      // @ts-expect-error misspelled sort key
      iterateRecords(gg, 'Orders', { sort: 'Dya' });

      await addRecordsInChunks(gg, 'Orders', [{ Product: 1, Qty: 2, Day: 1705276800 }], { chunkSize: 100 });
      // @ts-expect-error a write to a formula column
      await addRecordsInChunks(gg, 'Orders', [{ Total: 3 }]);
      // @ts-expect-error a string written to a Numeric column
      await addRecordsInChunks(gg, 'Products', [{ Price: 'free' }]);

      await updateRecordsInChunks(gg, 'Products', [{ id: 1, fields: { Stock: 0, InStock: false } }]);
      // @ts-expect-error misspelled column
      await updateRecordsInChunks(gg, 'Products', [{ id: 1, fields: { Stok: 0 } }]);

      await upsertRecords(gg, 'Products', [{ require: { Name: 'Pen' }, fields: { Price: 2 } }], { add: false });
      // @ts-expect-error a write to a formula column
      await upsertRecords(gg, 'Products', [{ require: { Name: 'Pen' }, fields: { Vat: 2 } }]);
    };
    expectTypeOf(helpers).toBeFunction();
  });
});

describe('a client without a schema', () => {
  it('is typed as the gateway declares its methods (any table, any column)', () => {
    expectTypeOf(plain).toEqualTypeOf<GatewayClient>();
    const untyped = async () => {
      const { records } = await plain.get_records.query({ table: 'Anything', sort: '-Whatever,Other', filter: { X: 'y' } });
      expectTypeOf(records).toEqualTypeOf<FlatRecord[]>();
      await plain.add_records.mutate({ table: 'Anything', records: [{ X: 1, Y: 'a' }] });
      for await (const record of iterateRecords(plain, 'Anything', { sort: '-X,Y' })) expectTypeOf(record).toEqualTypeOf<FlatRecord>();
      const rows: NewRecord[] = [{ A: 1 }];
      await addRecordsInChunks(plain, 'Anything', rows);
      await updateRecordsInChunks(plain, 'Anything', [{ id: 1, fields: { A: 2 } }]);
      await upsertRecords(plain, 'Anything', [{ require: { A: 1 } }]);
      // @ts-expect-error inputs are still checked: 'qty' is not an option
      await addRecordsInChunks(plain, 'Anything', rows, { qty: 1 });
    };
    expectTypeOf(untyped).toBeFunction();
  });

  it('has the attachment methods on both kinds of client', () => {
    expectTypeOf(gg.uploadAttachment).toEqualTypeOf(plain.uploadAttachment);
    expectTypeOf(plain.uploadAttachment).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(gg.downloadAttachment).parameter(0).toEqualTypeOf<number>();
  });
});
