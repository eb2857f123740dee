/**
 * Quantities on `strait plan`'s command line: data sizes ("1KiB", "100B", "1.5MB"), data rates
 * ("50MB/s", "400Mbit/s", "20000/s" records), and durations through the configuration's own
 * parser. Decimal units are powers of 10 (MB = 10^6 bytes, as the benchmark reports them),
 * binary units powers of 2 (MiB = 2^20), bits are eighths of bytes. An unknown unit is an error
 * that lists every accepted one, so a typo never turns into a silent misreading.
 */
import { UsageError } from '../cli/args.js';

const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  Mbit: 1e6 / 8,
  Gbit: 1e9 / 8,
};

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'KiB', 'MiB', 'GiB'];
export const RATE_UNITS = ['B/s', 'KB/s', 'MB/s', 'GB/s', 'KiB/s', 'MiB/s', 'GiB/s', 'kbit/s', 'Mbit/s', 'Gbit/s', '/s (records)', 'k/s (thousand records)'];

const QUANTITY = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

function split(text: string, option: string, accepted: string): { value: number; unit: string } {
  const m = QUANTITY.exec(text.trim());
  if (!m) throw new UsageError(`option --${option}: "${text}" is not a number with a unit; accepted units: ${accepted}`);
  return { value: Number(m[1]), unit: m[2] };
}

/** Bytes from "1KiB", "100B", "1.5MB"; a bare number is bytes. */
export function parseSize(text: string, option: string): number {
  const { value, unit } = split(text, option, SIZE_UNITS.join(', '));
  const factor = unit === '' ? 1 : BYTE_UNITS[unit];
  if (factor === undefined || factor < 1) throw new UsageError(`option --${option}: unknown unit "${unit}" in "${text}"; accepted units: ${SIZE_UNITS.join(', ')} (e.g. 1KiB)`);
  const bytes = value * factor;
  if (!(bytes > 0)) throw new UsageError(`option --${option} must be more than 0 (got "${text}")`);
  return bytes;
}

export type Rate = { kind: 'bytes'; bytesPerSec: number } | { kind: 'records'; recordsPerSec: number };

/** "50MB/s" (bytes), "400Mbit/s" (bits), "20000/s" or "20k/s" (records). */
export function parseRate(text: string, option: string): Rate {
  const accepted = RATE_UNITS.join(', ');
  const slash = text.trim().lastIndexOf('/');
  if (slash < 0 || text.trim().slice(slash + 1) !== 's') {
    throw new UsageError(`option --${option}: "${text}" is not a rate per second; accepted units: ${accepted} (e.g. 50MB/s or 20000/s)`);
  }
  const { value, unit } = split(text.trim().slice(0, slash), option, accepted);
  if (!(value > 0)) throw new UsageError(`option --${option} must be more than 0 (got "${text}")`);
  if (unit === '') return { kind: 'records', recordsPerSec: value };
  if (unit === 'k') return { kind: 'records', recordsPerSec: value * 1000 };
  const factor = BYTE_UNITS[unit];
  if (factor === undefined) throw new UsageError(`option --${option}: unknown unit "${unit}/s" in "${text}"; accepted units: ${accepted}`);
  return { kind: 'bytes', bytesPerSec: value * factor };
}

/** 52428800 -> "50.0 MiB", 1500 -> "1.5 KB" style, for tables (binary for memory, decimal for rates). */
export function formatBytes(bytes: number, binary = true): string {
  const steps = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  const base = binary ? 1024 : 1000;
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= base && i < steps.length - 1) {
    v /= base;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${steps[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec, false)}/s`;
}

/** Seconds as "45 s", "12 min", "3.5 h". */
export function formatSeconds(sec: number): string {
  if (!Number.isFinite(sec)) return 'never';
  if (sec < 120) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}
