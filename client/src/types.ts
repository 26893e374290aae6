/**
 * Types of the gateway's methods as the client sees them, derived from the router (never written twice).
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { TRPCClient } from '@trpc/client';
import type { AttachmentMethods } from './attachments.js';
import type { AppRouter } from './router.js';

/**
 * The typed client: one property per gateway method (`.query()` for reads, `.mutate()` for writes),
 * plus `uploadAttachment` and `downloadAttachment`.
 */
export type GatewayClient = TRPCClient<AppRouter> & AttachmentMethods;

/** The input of every method, by name: `GatewayInputs['add_records']`. */
export type GatewayInputs = inferRouterInputs<AppRouter>;

/** The result of every method, by name: `GatewayOutputs['get_records']`. */
export type GatewayOutputs = inferRouterOutputs<AppRouter>;

/** A record as the gateway returns it: `{id, ...fields}`. */
export type FlatRecord = GatewayOutputs['get_records']['records'][number];

/** A new record: column id -> cell value. */
export type NewRecord = GatewayInputs['add_records']['records'][number];

/** One record change: `{id, fields}`. */
export type RecordUpdate = GatewayInputs['update_records']['records'][number];

/** One upsert: `{require, fields}`. */
export type UpsertEntry = GatewayInputs['add_or_update_records']['records'][number];

/** Options every table helper takes. */
export interface TableOptions {
  /** Document name: required with an agent token, optional with a session token (bound to one). */
  document?: string;
}
