/**
 * Column-level types: a client typed by a document's schema (`createGatewayClient<Schema>`), where the
 * schema is the module `npx @grist-gateway/client types` generates (`export type Schema = {...}`).
 *
 * Only types live here; at run time a typed client is the same tRPC client as an untyped one. The record
 * methods (`get_records`, `add_records`, `update_records`, `add_or_update_records`, `delete_records`,
 * `describe_table`) and the helpers take table names, column names and values of the schema; every other
 * method is typed as without a schema.
 */
import type { TRPCProcedureOptions } from '@trpc/client';
import type { FlatRecord, GatewayClient, GatewayInputs, GatewayOutputs, NewRecord, RecordUpdate, UpsertEntry } from './types.js';

/** One table of a schema: its columns (column id -> value type) and the ids of its formula columns. */
export interface TableSchema {
  columns: object;
  formulas: PropertyKey;
}

/** A document's schema, as a generated module exports it: table id -> {@link TableSchema}. */
export type GatewaySchema = { [table: string]: TableSchema };

/** Spells an intersection out as one object type (easier to read in editor hovers). */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The table ids of a schema. */
export type TableName<S extends GatewaySchema> = keyof S & string;

/** The columns of a table: column id -> value type (formula columns are `readonly`). */
export type TableColumns<S extends GatewaySchema, T extends TableName<S>> = S[T]['columns'];

/** The column ids of a table. */
export type ColumnName<S extends GatewaySchema, T extends TableName<S>> = keyof TableColumns<S, T> & string;

/** The column ids of a table that writes accept (every column but the formula columns). */
export type WritableColumnName<S extends GatewaySchema, T extends TableName<S>> = Exclude<ColumnName<S, T>, S[T]['formulas']>;

/**
 * A record of a table as get_records returns it: its row id, its columns, and `_errors` (column id ->
 * message) when some formula cells hold errors (such a cell's value is then `null`).
 */
export type TableRecord<S extends GatewaySchema, T extends TableName<S>> = Simplify<
  { id: number; _errors?: Record<string, string> } & TableColumns<S, T>
>;

/**
 * The fields of a new or changed record of a table: any of its writable columns, with its value type
 * (or `null`, which empties the cell). Formula columns are not accepted.
 */
export type TableFields<S extends GatewaySchema, T extends TableName<S>> = {
  -readonly [K in keyof TableColumns<S, T> as K extends S[T]['formulas'] ? never : K]?: TableColumns<S, T>[K] | null;
};

/** One change of update_records: a row id and the fields to set. */
export interface TableRecordUpdate<S extends GatewaySchema, T extends TableName<S>> {
  id: number;
  fields: TableFields<S, T>;
}

/** One entry of add_or_update_records: the fields that identify a record and those to set on it. */
export interface TableUpsertEntry<S extends GatewaySchema, T extends TableName<S>> {
  require: TableFields<S, T>;
  fields?: TableFields<S, T>;
}

/** A get_records filter: column id (or `id`) -> one allowed value or a list of them. */
export type TableFilter<S extends GatewaySchema, T extends TableName<S>> = {
  [K in ColumnName<S, T> | 'id']?: K extends ColumnName<S, T>
    ? TableColumns<S, T>[K] | readonly TableColumns<S, T>[K][]
    : number | readonly number[];
};

/** One sort key: a column id (or `id`), prefixed with `-` to sort descending. */
export type TableSortKey<S extends GatewaySchema, T extends TableName<S>> = ColumnName<S, T> | 'id' | `-${ColumnName<S, T> | 'id'}`;

/** A get_records sort: one key, or a list of keys (several keys go in a list when the client is typed). */
export type TableSort<S extends GatewaySchema, T extends TableName<S>> = TableSortKey<S, T> | readonly TableSortKey<S, T>[];

/** The input of get_records on a table of the schema. */
export interface TableQuery<S extends GatewaySchema, T extends TableName<S>> {
  /** Document name (with an agent token). */
  document?: string;
  table: T;
  filter?: TableFilter<S, T>;
  sort?: TableSort<S, T>;
  limit?: number;
  cursor?: string;
}

/** The record methods of a client typed by schema `S`. */
export interface TypedRecordMethods<S extends GatewaySchema> {
  get_records: {
    query<T extends TableName<S>>(
      input: TableQuery<S, T>,
      opts?: TRPCProcedureOptions,
    ): Promise<{ records: TableRecord<S, T>[]; next_cursor: string | null }>;
  };
  add_records: {
    mutate<T extends TableName<S>>(
      input: { document?: string; table: T; records: readonly TableFields<S, T>[] },
      opts?: TRPCProcedureOptions,
    ): Promise<GatewayOutputs['add_records']>;
  };
  update_records: {
    mutate<T extends TableName<S>>(
      input: { document?: string; table: T; records: readonly TableRecordUpdate<S, T>[] },
      opts?: TRPCProcedureOptions,
    ): Promise<GatewayOutputs['update_records']>;
  };
  add_or_update_records: {
    mutate<T extends TableName<S>>(
      input: { document?: string; table: T; records: readonly TableUpsertEntry<S, T>[] } & Pick<
        GatewayInputs['add_or_update_records'],
        'on_many' | 'add' | 'update'
      >,
      opts?: TRPCProcedureOptions,
    ): Promise<GatewayOutputs['add_or_update_records']>;
  };
  delete_records: {
    mutate<T extends TableName<S>>(
      input: { document?: string; table: T; record_ids: readonly number[] },
      opts?: TRPCProcedureOptions,
    ): Promise<GatewayOutputs['delete_records']>;
  };
  describe_table: {
    query<T extends TableName<S>>(input: { document?: string; table: T }, opts?: TRPCProcedureOptions): Promise<GatewayOutputs['describe_table']>;
  };
}

/** Type-level marker carrying a typed client's schema (no such property exists at run time). */
declare const schemaOfClient: unique symbol;

/**
 * A client typed by the schema `S`: the record methods take its table names, column names and value
 * types; every other method is as on {@link GatewayClient}.
 */
export type TypedGatewayClient<S extends GatewaySchema> = Omit<GatewayClient, keyof TypedRecordMethods<S>> &
  TypedRecordMethods<S> & { readonly [schemaOfClient]: S };

/** A client with or without a schema: what the helpers accept. */
export type AnyGatewayClient = GatewayClient | TypedGatewayClient<any>;

/** The schema of a typed client, `undefined` for an untyped one. */
export type SchemaOf<C> = C extends { readonly [schemaOfClient]: infer S extends GatewaySchema } ? S : undefined;

/** The table names a client accepts: its schema's tables, or any string without a schema. */
export type TableOf<C> = SchemaOf<C> extends infer S extends GatewaySchema ? TableName<S> : string;

/** A record of table `T` as read through client `C`. */
export type RecordOf<C, T extends string> =
  SchemaOf<C> extends infer S extends GatewaySchema ? (T extends TableName<S> ? TableRecord<S, T> : never) : FlatRecord;

/** The fields of a new record of table `T` through client `C`. */
export type NewRecordOf<C, T extends string> =
  SchemaOf<C> extends infer S extends GatewaySchema ? (T extends TableName<S> ? TableFields<S, T> : never) : NewRecord;

/** One update_records change of table `T` through client `C`. */
export type RecordUpdateOf<C, T extends string> =
  SchemaOf<C> extends infer S extends GatewaySchema ? (T extends TableName<S> ? TableRecordUpdate<S, T> : never) : RecordUpdate;

/** One add_or_update_records entry of table `T` through client `C`. */
export type UpsertEntryOf<C, T extends string> =
  SchemaOf<C> extends infer S extends GatewaySchema ? (T extends TableName<S> ? TableUpsertEntry<S, T> : never) : UpsertEntry;

/** The filter and sort of get_records on table `T` through client `C`. */
export type QueryOptionsOf<C, T extends string> =
  SchemaOf<C> extends infer S extends GatewaySchema
    ? T extends TableName<S>
      ? { filter?: TableFilter<S, T>; sort?: TableSort<S, T> }
      : never
    : Pick<GatewayInputs['get_records'], 'filter' | 'sort'>;
