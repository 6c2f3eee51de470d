import path from 'node:path';

/** A document's fallback title: its file name without the extension. */
export function titleFromName(source: string): string {
  const base = path.posix.basename(source);
  return base.replace(/\.[^.]+$/, '') || base;
}
