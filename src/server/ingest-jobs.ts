import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AVATAR_FILE, type AvatarPackage } from '../avatars/package';
import type { IngestReport } from '../retrieval/ingest';
import { classifyError } from '../errors';
import { PermanentJobError, type JobHandler, type JobQueue } from '../jobs/types';

const INGEST_ATTEMPTS = 3;
import type { Runtime } from '../app/runtime';

export interface IngestJob {
  slug: string;
}

/**
 * The ingest job: bring one avatar's index up to date from its corpus, its progress (files read,
 * chunks) in the job's. A failure is logged with its code and error, as serve always has; one a
 * retry may fix (an embeddings endpoint down) is retried, any other fails the job for good (a
 * dead letter: a broken file fails the same way when read again).
 */
export function ingestHandler(runtime: Runtime): JobHandler<IngestJob, IngestReport> {
  return async (job) => {
    try {
      return await runtime.service.ingest(job.data.slug, {
        onProgress: (p) => void job.progress({ ...p }).catch((err: unknown) => runtime.log.warn({ err, job: job.id }, 'could not report ingest progress')),
      });
    } catch (err) {
      const e = classifyError(err);
      runtime.log.error({ avatar: job.data.slug, code: e.code, err, attempt: job.attempt, attempts: job.attempts }, e.message);
      throw e.retryable ? err : new PermanentJobError(`${e.code}: ${e.message}`);
    }
  };
}

/**
 * Enqueue an ingest of every active avatar, keyed by the avatar and the state of its corpus:
 * replicas starting together (or restarting) add each ingest once, and a changed corpus gets
 * a new one. Retried with backoff only for failures a retry can fix (ingestHandler); a worker
 * that dies mid-ingest hands it to another (the version it was building is never published).
 */
export async function enqueueIngests(runtime: Runtime, queue: JobQueue): Promise<{ slug: string; id: string }[]> {
  const out: { slug: string; id: string }[] = [];
  for (const pkg of runtime.service.registry.list()) {
    if (pkg.config.status !== 'active') continue;
    const { id } = await queue.enqueue<IngestJob>('ingest', { slug: pkg.config.slug }, { id: `ingest:${pkg.config.slug}:${corpusFingerprint(pkg)}`, attempts: INGEST_ATTEMPTS, backoffMs: 5_000 });
    out.push({ slug: pkg.config.slug, id });
  }
  return out;
}

/** Names, sizes and modification times of an avatar's corpus and settings, hashed. */
function corpusFingerprint(pkg: AvatarPackage): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (st) h.update(`${path.relative(pkg.dir, p)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  walk(path.join(pkg.dir, 'corpus'));
  const yaml = fs.statSync(path.join(pkg.dir, AVATAR_FILE), { throwIfNoEntry: false });
  h.update(`${AVATAR_FILE}\0${yaml?.mtimeMs ?? 0}`);
  return h.digest('hex').slice(0, 16);
}
