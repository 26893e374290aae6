/**
 * The client's router type (context erased, records made declarable) against the server's real one:
 * same methods, same inputs, outputs readable the same way, and an error shape that matches the server's
 * error formatter. These are compile-time checks (`npx tsc -p tsconfig.json` fails when they drift);
 * the runtime part checks the procedure kinds against the live router.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { appRouter, type AppRouter as ServerRouter } from 'grist-gateway';
import type { AppRouter, GatewayErrorDetails, GatewayErrorShape } from '../src/index.js';

type ServerInputs = inferRouterInputs<ServerRouter>;
type ServerOutputs = inferRouterOutputs<ServerRouter>;
type ClientInputs = inferRouterInputs<AppRouter>;
type ClientOutputs = inferRouterOutputs<AppRouter>;

describe('client router type', () => {
  it('has the server methods with the same inputs and compatible outputs', () => {
    expectTypeOf<keyof AppRouter['_def']['record']>().toEqualTypeOf<keyof ServerRouter['_def']['record']>();
    expectTypeOf<ClientInputs>().toEqualTypeOf<ServerInputs>();
    // Outputs: what the server returns is what the client type describes, field by field.
    expectTypeOf<ServerOutputs>().toExtend<ClientOutputs>();
    expectTypeOf<ClientOutputs['get_records']['records'][number]['id']>().toEqualTypeOf<number>();
    expectTypeOf<ClientOutputs['get_records']['records'][number]['_errors']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<ClientOutputs['get_records']['records'][number]['Name']>().toEqualTypeOf<ServerOutputs['get_records']['records'][number]['Name']>();
  });

  it('describes the error shape the server sends', () => {
    type ServerShape = ServerRouter['_def']['_config']['$types']['errorShape'];
    expectTypeOf<ServerShape['message']>().toEqualTypeOf<GatewayErrorShape['message']>();
    expectTypeOf<ServerShape['data']['gatewayCode']>().toEqualTypeOf<GatewayErrorShape['data']['gatewayCode']>();
    expectTypeOf<ServerShape['data']['httpStatus']>().toEqualTypeOf<GatewayErrorShape['data']['httpStatus']>();
    // Every detail the server sends is typed alike on the client (an object copy: interfaces have no
    // implicit index signature, the client's details have one for fields added later).
    type ServerDetails = NonNullable<ServerShape['data']['details']>;
    expectTypeOf<{ [K in keyof ServerDetails]: ServerDetails[K] }>().toExtend<GatewayErrorDetails>();
    expectTypeOf<ServerDetails['written_ids']>().toEqualTypeOf<GatewayErrorDetails['written_ids']>();
  });

  it('declares each procedure with the kind the server serves (query or mutation)', () => {
    type Kinds = { [K in keyof AppRouter['_def']['record']]: AppRouter['_def']['record'][K]['_def']['type'] };
    const server = Object.fromEntries(Object.entries(appRouter._def.procedures).map(([name, p]) => [name, (p as { _def: { type: string } })._def.type]));
    // A few by name (compile-time: these literals must match the client type).
    const expected: Pick<Kinds, 'get_records' | 'add_records' | 'list_tables' | 'request_session_token'> = {
      get_records: 'query',
      add_records: 'mutation',
      list_tables: 'query',
      request_session_token: 'mutation',
    };
    expect(server).toMatchObject(expected);
  });
});
