import crypto from 'node:crypto';
import fs from 'node:fs';
import { avatarIdentity } from '../../avatars/identity';
import type { AvatarPackage } from '../../avatars/package';
import type { Runtime } from '../../app/runtime';
import { pendingCorrections } from '../../distill/corrections';
import { setStatus } from '../../distill/subject';
import { listVersions } from '../../distill/versions';
import type { JobQueue } from '../../jobs/types';
import type { IngestJob } from '../ingest-jobs';
import { avatarFor, requireManager, visibleAvatars } from './access';
import { HttpError, type AdminRoute } from './http';

/** Asks counted for "who asked how much": the newest this many of an avatar. */
const ASKS_SCANNED = 5000;

async function summary(runtime: Runtime, pkg: AvatarPackage): Promise<Record<string, unknown>> {
  const { service } = runtime;
  const c = pkg.config;
  const index = service.index(c.slug);
  const indexed = c.status !== 'revoked' && index.exists();
  const sources = indexed ? index.chunkStore().sourceCounts() : [];
  const manifest = indexed ? fs.statSync(index.files.manifest, { throwIfNoEntry: false }) : undefined;
  const asks = await service.store.auditEntries({ avatar: c.slug, action: 'ask', limit: ASKS_SCANNED });
  const byActor = new Map<string, number>();
  for (const a of asks) byActor.set(a.actor, (byActor.get(a.actor) ?? 0) + 1);
  const feedback = { up: 0, down: 0, correction: 0 };
  for (const f of await service.store.listFeedback(c.slug)) feedback[f.kind]++;
  const rated = feedback.up + feedback.down;
  return {
    ...avatarIdentity(c),
    corpus: { sources: sources.length, chunks: indexed ? index.count() : 0 },
    lastIngest: manifest ? manifest.mtime.toISOString() : null,
    indexVersion: indexed ? (index.version ?? null) : null,
    visibility: c.visibility,
    access: c.access,
    questions: asks.length,
    askers: [...byActor].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([actor, count]) => ({ actor, count })),
    feedback: { ...feedback, ratio: rated ? feedback.up / rated : null },
    skillVersion: listVersions(pkg.dir).at(-1)?.version ?? null,
    pendingCorrections: (await pendingCorrections(service.store, c.slug)).length,
    consent: c.consent ?? null,
  };
}

/** The avatars page: status and figures, pause, resume and re-ingest (with its progress). */
export function avatarRoutes(runtime: Runtime, queue: JobQueue): AdminRoute[] {
  const { service } = runtime;
  const status = (to: 'active' | 'paused'): AdminRoute['handler'] => async ({ params, session }) => {
    const pkg = avatarFor(service, session, params.slug);
    requireManager(session, pkg);
    if (pkg.config.status === 'revoked') throw new HttpError(409, 'This avatar was revoked; it can only be distilled again, with consent.');
    // The same path as `/avatar pause|resume` in chat and the CLI: avatar.yaml, the audit log, a reload.
    await setStatus(service, pkg.config.slug, to, session.actor);
    return summary(runtime, service.get(pkg.config.slug));
  };
  return [
    {
      method: 'GET',
      path: '/avatars',
      handler: async ({ session }) => Promise.all(visibleAvatars(service, session).map((p) => summary(runtime, p))),
    },
    { method: 'POST', path: '/avatars/:slug/pause', handler: status('paused') },
    { method: 'POST', path: '/avatars/:slug/resume', handler: status('active') },
    {
      method: 'POST',
      path: '/avatars/:slug/reingest',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        requireManager(session, pkg);
        if (pkg.config.status !== 'active') throw new HttpError(409, `The avatar is ${pkg.config.status}; resume it before re-ingesting.`);
        // The ingest job serve runs at start, on whichever worker takes it.
        const { id } = await queue.enqueue<IngestJob>('ingest', { slug: pkg.config.slug }, { id: `ingest:${pkg.config.slug}:admin:${crypto.randomUUID()}`, attempts: 1 });
        await service.store.audit({ actor: session.actor, action: 'ingest_requested', avatar: pkg.config.slug, detail: { job: id, surface: 'admin' } });
        return { job: id };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:id',
      handler: async ({ params, session }) => {
        const job = await queue.get(params.id);
        const slug = (job?.data as Partial<IngestJob> | undefined)?.slug;
        // Only ingest jobs of avatars this session may see.
        if (!job || job.kind !== 'ingest' || typeof slug !== 'string') throw new HttpError(404, 'No such job.');
        avatarFor(service, session, slug);
        const result = job.result as { totalChunks?: number; filesRead?: number; seconds?: number } | undefined;
        return {
          id: job.id,
          slug,
          state: job.state,
          progress: job.progress,
          error: job.error,
          result: result ? { totalChunks: result.totalChunks, filesRead: result.filesRead, seconds: result.seconds } : undefined,
        };
      },
    },
  ];
}
