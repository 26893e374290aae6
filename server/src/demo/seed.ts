/**
 * The sample data of the `demo` document that `npm start` creates on a fresh machine: a few related
 * tables (customers, products, orders referencing both) so a first session has something to read,
 * filter, join in SQL and write to, and two formula columns (Python, evaluated as in Grist) that follow
 * the data: each order's `Total` through its product's price, each customer's `Spent` over their orders.
 */
import type { DocBackend } from '../backend/types.js';

/** Tables of the demo document, in creation order (later ones reference earlier ones). */
export const DEMO_TABLES = ['Customers', 'Products', 'Orders'] as const;

/** Fills an empty document with the demo tables and rows. Leaves a document that has them untouched. */
export async function seedDemoDocument(doc: DocBackend): Promise<{ created: boolean }> {
  const existing = new Set((await doc.listTables()).map((t) => t.id));
  if (DEMO_TABLES.every((t) => existing.has(t))) return { created: false };

  await doc.createTables([
    {
      id: 'Customers',
      columns: [
        { id: 'Name', fields: { type: 'Text', label: 'Name' } },
        { id: 'Email', fields: { type: 'Text', label: 'Email' } },
        { id: 'City', fields: { type: 'Text', label: 'City' } },
        { id: 'Since', fields: { type: 'Date', label: 'Customer since' } },
      ],
    },
    {
      id: 'Products',
      columns: [
        { id: 'Name', fields: { type: 'Text', label: 'Name' } },
        {
          id: 'Category',
          fields: { type: 'Choice', label: 'Category', widgetOptions: JSON.stringify({ choices: ['Hardware', 'Software', 'Service'] }) },
        },
        { id: 'Price', fields: { type: 'Numeric', label: 'Price' } },
        { id: 'InStock', fields: { type: 'Bool', label: 'In stock' } },
      ],
    },
    {
      id: 'Orders',
      columns: [
        { id: 'Customer', fields: { type: 'Ref:Customers', label: 'Customer' } },
        { id: 'Product', fields: { type: 'Ref:Products', label: 'Product' } },
        { id: 'Qty', fields: { type: 'Int', label: 'Quantity' } },
        { id: 'OrderedAt', fields: { type: 'DateTime:UTC', label: 'Ordered at' } },
        {
          id: 'Status',
          fields: { type: 'Choice', label: 'Status', widgetOptions: JSON.stringify({ choices: ['new', 'shipped', 'cancelled'] }) },
        },
        { id: 'Total', fields: { type: 'Numeric', label: 'Total', isFormula: true, formula: '$Qty * $Product.Price' } },
      ],
    },
  ]);
  await doc.addColumns('Customers', [{
    id: 'Spent',
    fields: {
      type: 'Numeric', label: 'Spent', isFormula: true,
      formula: 'SUM(o.Total for o in Orders.lookupRecords(Customer=$id) if o.Status != "cancelled")',
    },
  }]);

  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;
  const customers = await doc.addRecords('Customers', [
    { fields: { Name: 'Ada Lovelace', Email: 'ada@example.com', City: 'London', Since: day('2024-03-01') } },
    { fields: { Name: 'Grace Hopper', Email: 'grace@example.com', City: 'New York', Since: day('2023-11-15') } },
    { fields: { Name: 'Alan Turing', Email: 'alan@example.com', City: 'Manchester', Since: day('2025-01-20') } },
    { fields: { Name: 'Katherine Johnson', Email: 'katherine@example.com', City: 'Hampton', Since: day('2024-08-09') } },
  ]);
  const products = await doc.addRecords('Products', [
    { fields: { Name: 'Mechanical keyboard', Category: 'Hardware', Price: 129.0, InStock: true } },
    { fields: { Name: 'USB-C dock', Category: 'Hardware', Price: 89.5, InStock: false } },
    { fields: { Name: 'Spreadsheet license', Category: 'Software', Price: 49.0, InStock: true } },
    { fields: { Name: 'Onboarding workshop', Category: 'Service', Price: 450.0, InStock: true } },
  ]);
  const at = (iso: string) => Date.parse(iso) / 1000;
  const [c1, c2, c3, c4] = customers as [number, number, number, number];
  const [p1, p2, p3, p4] = products as [number, number, number, number];
  await doc.addRecords('Orders', [
    { fields: { Customer: c1, Product: p1, Qty: 1, OrderedAt: at('2026-10-02T09:15:00Z'), Status: 'shipped' } },
    { fields: { Customer: c1, Product: p3, Qty: 5, OrderedAt: at('2026-10-05T14:00:00Z'), Status: 'shipped' } },
    { fields: { Customer: c2, Product: p2, Qty: 2, OrderedAt: at('2026-11-01T08:30:00Z'), Status: 'new' } },
    { fields: { Customer: c3, Product: p4, Qty: 1, OrderedAt: at('2026-11-12T16:45:00Z'), Status: 'new' } },
    { fields: { Customer: c4, Product: p1, Qty: 3, OrderedAt: at('2026-11-20T11:05:00Z'), Status: 'cancelled' } },
  ]);
  // A new document starts with an empty Table1, as in Grist; the demo does not need it.
  if (existing.has('Table1') && (await doc.getRecords('Table1', { limit: 1 })).length === 0) await doc.removeTable('Table1');
  return { created: true };
}
