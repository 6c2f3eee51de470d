import fs from 'node:fs';
import path from 'node:path';

/** The shared real corpora beside the checkout (../shared/corpora). */
export const CORPORA = path.resolve(__dirname, '../../../shared/corpora');

/**
 * Whether the real corpora are here. Without them the suites that read them are skipped, and the
 * global setup (test/global-setup.js) prints one notice; with UNDERSTUDY_REQUIRE_CORPORA=1 (set by
 * .ci/run) their absence fails the run instead.
 */
export const HAVE_CORPORA = fs.existsSync(CORPORA);

/** `describe` for a suite that reads the real corpora. */
export const describeCorpora: jest.Describe = HAVE_CORPORA ? describe : describe.skip;
/** `it` for one test that reads the real corpora, in a suite that otherwise does not. */
export const itCorpora: jest.It = HAVE_CORPORA ? it : it.skip;

/**
 * A path inside the corpora. With the corpora present, a missing path fails loudly; without
 * them the callers are skipped suites, so the path is only returned.
 */
export function corpus(rel: string): string {
  const p = path.join(CORPORA, rel);
  if (HAVE_CORPORA && !fs.existsSync(p)) {
    throw new Error(`Real test corpus missing: ${p}. CI must have ../shared/corpora beside the checkout (see ../shared/corpora/README.md).`);
  }
  return p;
}
