/**
 * The README's first session from TypeScript: read the demo products, add a customer.
 *
 *   SESSION=sess_... npx tsx scripts/examples/first-session.ts
 *
 * GATEWAY_URL defaults to http://127.0.0.1:3000.
 */
import { createGatewayClient, gatewayError } from '@grist-gateway/client';

const token = process.env.SESSION;
if (!token) {
  console.error('Set SESSION to a session token (see README: "Mint a session token").');
  process.exit(1);
}
const gg = createGatewayClient({ url: process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000', token });
try {
  const { records } = await gg.get_records.query({ table: 'Products', sort: '-Price', limit: 3 });
  console.log('Most expensive products:', records);
  const { record_ids } = await gg.add_records.mutate({ table: 'Customers', records: [{ Name: 'Grace', City: 'NYC' }] });
  console.log('Added customer ids:', record_ids);
} catch (err) {
  const e = gatewayError(err);
  console.error(e ? `${e.code}: ${e.message}` : err);
  process.exit(1);
}
