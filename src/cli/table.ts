/** Aligns rows of cells into text columns two spaces apart (the first row is usually a header). */
export function alignColumns(rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
