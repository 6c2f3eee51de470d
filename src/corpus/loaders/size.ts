export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;

/** `31.2 MB`, `20 MB`, `2 KB`, `1000 B`. */
export function formatBytes(n: number): string {
  const fmt = (v: number, unit: string): string => `${v.toFixed(1).replace(/\.0$/, '')} ${unit}`;
  if (n >= 1024 * 1024) return fmt(n / 1024 / 1024, 'MB');
  if (n >= 1024) return fmt(n / 1024, 'KB');
  return `${n} B`;
}

export function oversizedReason(size: number, max: number): string {
  return `oversized: ${formatBytes(size)} > ${formatBytes(max)}`;
}
