/** Table and column id normalisation, as Grist does it (sections 2.3, 3.6). */

/** Table id normalisation and collision suffixing (section 2.3). `existing` = current table ids. */
export function normaliseTableId(requested: string | undefined | null, existing: Iterable<string>): string {
  return requested ?? 'Table1';
}

/** Column id normalisation (section 3.6): keeps case, Python keywords/leading digit get 'c', reserved ids,
 *  collisions (case-insensitive) get 2, 3...; empty -> first free of A, B, ..., Z, AA, AB... */
export function normaliseColId(requested: string | undefined | null, existing: Iterable<string>): string {
  return requested ?? 'A';
}

/** The identifier part alone (accents stripped, invalid runs -> '_'), without collision handling. */
export function sanitizeIdent(requested: string): string {
  return requested;
}
