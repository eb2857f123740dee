/**
 * Small inline-SVG charts for the HTML report: grouped bars with min-max whiskers, and latency
 * percentile curves on a "nines" axis. Hand-written so the report is one self-contained file with
 * no script and no dependency: it opens from disk, offline, years later.
 */

export interface Bar {
  label: string;
  value: number;
  min?: number;
  max?: number;
  color: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  groups: BarGroup[];
  width?: number;
  height?: number;
  format?: (v: number) => string;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" axis maximum and tick step for values up to `max`. */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
  return { top: Math.ceil(max / step) * step, step };
}

export function compactNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  if (a >= 10 || v === 0) return String(Math.round(v));
  return String(+v.toFixed(2));
}

export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 300;
  const fmt = o.format ?? compactNumber;
  const m = { top: 34, right: 12, bottom: 70, left: 62 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const highest = Math.max(0, ...o.groups.flatMap((g) => g.bars.map((b) => Math.max(b.value, b.max ?? 0))));
  const { top, step } = niceScale(highest);
  const y = (v: number): number => m.top + plotH - (v / top) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeXml(o.title)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(fmt(v))}</text>`);
  }
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(o.yLabel)}</text>`);
  const groupW = plotW / Math.max(1, o.groups.length);
  o.groups.forEach((g, gi) => {
    const n = Math.max(1, g.bars.length);
    const barW = Math.min(48, (groupW * 0.8) / n);
    const x0 = m.left + gi * groupW + (groupW - barW * n) / 2;
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      const h = Math.max(0, m.top + plotH - y(b.value));
      parts.push(`<rect x="${(x + 2).toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${b.color}"><title>${escapeXml(`${g.label} · ${b.label}: ${fmt(b.value)}${b.min !== undefined && b.max !== undefined ? ` (${fmt(b.min)}–${fmt(b.max)})` : ''}`)}</title></rect>`);
      if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
        const cx = x + barW / 2;
        parts.push(`<path d="M${cx.toFixed(1)} ${y(b.min).toFixed(1)}V${y(b.max).toFixed(1)}M${(cx - 4).toFixed(1)} ${y(b.min).toFixed(1)}h8M${(cx - 4).toFixed(1)} ${y(b.max).toFixed(1)}h8" class="whisker"/>`);
      }
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(y(b.value) - 4).toFixed(1)}" text-anchor="middle" class="value">${escapeXml(fmt(b.value))}</text>`);
    });
    parts.push(`<text x="${(m.left + gi * groupW + groupW / 2).toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle" class="axis">${escapeXml(g.label)}</text>`);
  });
  parts.push(legend(uniqueSeries(o.groups), m.left, height - 34, width - m.right));
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A legend from (x, y), flowing onto a second line when the first is full. Text width is
 * estimated (about 6.2 px per character at the legend's 11 px), which is close enough for
 * placing the swatches.
 */
export function legend(series: { label: string; color: string }[], x: number, y: number, right: number): string {
  const parts: string[] = [];
  let lx = x;
  let ly = y;
  for (const s of series) {
    const w = 16 + Math.ceil(s.label.length * 6.2) + 18;
    if (lx + w > right && lx > x) {
      lx = x;
      ly += 16;
    }
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.color}"/><text x="${lx + 16}" y="${ly + 10}" class="legend">${escapeXml(s.label)}</text>`);
    lx += w;
  }
  return parts.join('');
}

function uniqueSeries(groups: BarGroup[]): { label: string; color: string }[] {
  const seen = new Map<string, string>();
  for (const g of groups) for (const b of g.bars) if (!seen.has(b.label)) seen.set(b.label, b.color);
  return [...seen].map(([label, color]) => ({ label, color }));
}

export interface Curve {
  label: string;
  color: string;
  /** [percentile, ms]. */
  points: [number, number][];
}

/** x position of a percentile on the "nines" axis: 90 -> 1, 99 -> 2, 99.9 -> 3. */
export function nines(p: number): number {
  return -Math.log10(Math.max(1e-6, 1 - p / 100));
}

/** Latency against percentile: log-scale milliseconds over a "nines" percentile axis. */
export function latencyChart(o: { title: string; curves: Curve[]; width?: number; height?: number }): string {
  const width = o.width ?? 640;
  const height = o.height ?? 320;
  const m = { top: 34, right: 30, bottom: 60, left: 62 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const pts = o.curves.flatMap((c) => c.points.filter(([p]) => p > 0 && p < 100));
  const maxX = Math.max(2, ...pts.map(([p]) => nines(p)));
  const values = pts.map(([, v]) => Math.max(1, v));
  const lo = Math.floor(Math.log10(Math.min(1, ...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(10, ...values))));
  const x = (p: number): number => m.left + (nines(p) / maxX) * plotW;
  const y = (v: number): number => m.top + plotH - ((Math.log10(Math.max(1, v)) - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeXml(o.title)}</text>`);
  for (let e = lo; e <= hi; e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (Math.log10(v) > hi + 1e-9) continue;
      parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="${k === 1 ? 'grid' : 'grid minor'}"/>`);
      parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(compactNumber(v))}</text>`);
    }
  }
  for (const p of [50, 90, 99, 99.9, 99.99]) {
    if (nines(p) > maxX + 1e-9) continue;
    parts.push(`<line x1="${x(p).toFixed(1)}" x2="${x(p).toFixed(1)}" y1="${m.top}" y2="${m.top + plotH}" class="grid minor"/>`);
    parts.push(`<text x="${x(p).toFixed(1)}" y="${m.top + plotH + 16}" text-anchor="middle" class="tick">p${p}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 34}" text-anchor="middle" class="axis">percentile</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">latency, ms (log)</text>`);
  for (const c of o.curves) {
    const line = c.points.filter(([p]) => p > 0 && p < 100);
    if (line.length === 0) continue;
    const d = line.map(([p, v], i) => `${i === 0 ? 'M' : 'L'}${x(p).toFixed(1)} ${y(v).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${c.color}" stroke-width="2.5"><title>${escapeXml(c.label)}</title></path>`);
    for (const [p, v] of line) parts.push(`<circle cx="${x(p).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${c.color}"><title>${escapeXml(`${c.label}: p${p} = ${v} ms`)}</title></circle>`);
  }
  parts.push(legend(o.curves, m.left, height - 18, width - m.right));
  parts.push('</svg>');
  return parts.join('');
}

/** Styles the charts' classes; embedded once in the report. */
export const CHART_CSS = `
svg { font-family: system-ui, sans-serif; background: #fff; }
svg .title { font-size: 14px; font-weight: 600; fill: #1f2933; }
svg .tick, svg .value { font-size: 10px; fill: #52606d; }
svg .axis, svg .legend { font-size: 11px; fill: #323f4b; }
svg .grid { stroke: #d9e2ec; stroke-width: 1; }
svg .grid.minor { stroke: #eef2f6; }
svg .whisker { stroke: #1f2933; stroke-width: 1.2; fill: none; }
`;

export interface Series {
  label: string;
  color: string;
  /** [x, y] in data units, x ascending. */
  points: [number, number][];
  dashed?: boolean;
}

/** Lines over linear axes from 0 (e.g. capacity by worker count, with the load as a flat line). */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number; format?: (v: number) => string; marker?: { x: number; label: string } }): string {
  const width = o.width ?? 720;
  const height = o.height ?? 340;
  const fmt = o.format ?? compactNumber;
  const m = { top: 34, right: 20, bottom: 64, left: 72 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs = o.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = o.series.flatMap((s) => s.points.map(([, y]) => y)).filter((v) => Number.isFinite(v));
  const xMax = Math.max(1, ...xs);
  const { top, step } = niceScale(Math.max(0, ...ys));
  const x = (v: number): number => m.left + (v / xMax) * plotW;
  const y = (v: number): number => m.top + plotH - (Math.min(v, top) / top) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeXml(o.title)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(fmt(v))}</text>`);
  }
  const xStep = niceScale(xMax, 8).step;
  for (let v = 0; v <= xMax + 1e-9; v += Math.max(1, xStep)) {
    parts.push(`<text x="${x(v).toFixed(1)}" y="${m.top + plotH + 16}" text-anchor="middle" class="tick">${escapeXml(compactNumber(v))}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 34}" text-anchor="middle" class="axis">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(o.yLabel)}</text>`);
  if (o.marker) {
    parts.push(`<line x1="${x(o.marker.x).toFixed(1)}" x2="${x(o.marker.x).toFixed(1)}" y1="${m.top}" y2="${m.top + plotH}" class="whisker" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${(x(o.marker.x) + 4).toFixed(1)}" y="${m.top + 12}" class="legend">${escapeXml(o.marker.label)}</text>`);
  }
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeXml(s.label)}</title></path>`);
    if (!s.dashed) for (const [px, py] of s.points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5" fill="${s.color}"><title>${escapeXml(`${s.label}: ${compactNumber(px)} -> ${fmt(py)}`)}</title></circle>`);
  }
  parts.push(legend(o.series, m.left, height - 14, width - m.right));
  parts.push('</svg>');
  return parts.join('');
}
