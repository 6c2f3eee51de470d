import fs from 'node:fs';
import path from 'node:path';

/** The shared real corpora beside the checkout. Suites that need them fail loudly without them. */
export const CORPORA = path.resolve(__dirname, '../../../shared/corpora');

export function corpus(rel: string): string {
  const p = path.join(CORPORA, rel);
  if (!fs.existsSync(p)) {
    throw new Error(`Real test corpus missing: ${p}. CI must have ../shared/corpora beside the checkout (see ../shared/corpora/README.md).`);
  }
  return p;
}
