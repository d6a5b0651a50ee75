/**
 * CSV as spreadsheets read it (RFC 4180: CRLF lines, quoted fields doubling their quotes). A field
 * starting with = + - @ is prefixed with ' so a spreadsheet shows it rather than running it as a
 * formula (CSV injection).
 */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** A header row from `columns`, then one row per record. */
export function toCsv<Row extends object>(columns: Array<keyof Row & string>, rows: Row[]): string {
  return [columns.join(','), ...rows.map(row => columns.map(column => csvField(String(row[column] ?? ''))).join(','))].join('\r\n') + '\r\n'
}
