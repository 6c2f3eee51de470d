import { readSkill } from '../../avatars/package';
import type { Runtime } from '../../app/runtime';
import { ConsentBook } from '../../distill/consent';
import { pendingCorrections } from '../../distill/corrections';
import { rollbackSkill, settleCorrection } from '../../distill/skill-changes';
import { listVersions, readVersion } from '../../distill/versions';
import { avatarFor, requireManager, visibleAvatars } from './access';
import { HttpError, type AdminRoute } from './http';

const positive = (v: string, what: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HttpError(400, `${what} must be a positive whole number, got "${v}"`);
  return n;
};

/** Consent records with their evidence, corrections waiting for a decision, skill versions and rollback. */
export function skillRoutes(runtime: Runtime): AdminRoute[] {
  const { service } = runtime;
  const store = service.store;
  return [
    {
      method: 'GET',
      path: '/consent',
      handler: async ({ session }) => {
        const requests = await new ConsentBook(store, runtime.config.consentTtlDays).list();
        const out = [];
        for (const pkg of visibleAvatars(service, session)) {
          const slug = pkg.config.slug;
          const record = pkg.config.consent ?? null;
          const mine = requests.filter((r) => r.slug === slug).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
          const ids = new Set([...mine.map((r) => r.id), ...(record?.consent_id ? [record.consent_id] : [])]);
          // The evidence: every audit entry about these consent ids, each with its place in the hash chain.
          const evidence = (await store.auditEntries({ avatar: slug, limit: 5000 }))
            .filter((e) => ids.has(String((e.detail as { consent?: unknown } | undefined)?.consent ?? '')))
            .map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, consent: (e.detail as { consent: string }).consent, hash: e.hash }));
          out.push({
            slug,
            name: pkg.config.person.name,
            nameEn: pkg.config.person.name_en ?? null,
            status: pkg.config.status,
            record,
            requests: mine.map((r) => ({
              id: r.id,
              basis: r.basis,
              status: r.status,
              subject: r.subject,
              requester: r.requester,
              purpose: r.purpose,
              reason: r.reason ?? null,
              scope: r.scope,
              createdAt: r.createdAt,
              expiresAt: r.expiresAt,
              decidedAt: r.decidedAt ?? null,
              decidedBy: r.decidedBy ?? null,
            })),
            evidence,
          });
        }
        return out;
      },
    },
    {
      method: 'GET',
      path: '/avatars/:slug/corrections',
      handler: async ({ params, session }) => pendingCorrections(store, avatarFor(service, session, params.slug).config.slug),
    },
    ...(['approve', 'reject'] as const).map(
      (verb): AdminRoute => ({
        method: 'POST',
        path: `/avatars/:slug/corrections/:id/${verb}`,
        handler: async ({ params, session }) => {
          const pkg = avatarFor(service, session, params.slug);
          requireManager(session, pkg);
          const version = await settleCorrection(store, pkg, positive(params.id, 'the correction id'), verb === 'approve', session.actor);
          return { ok: true, version: version ?? null };
        },
      }),
    ),
    {
      method: 'GET',
      path: '/avatars/:slug/versions',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        return { versions: listVersions(pkg.dir).reverse(), live: readSkill(pkg) };
      },
    },
    {
      method: 'GET',
      path: '/avatars/:slug/versions/:version',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        return { version: positive(params.version, 'the version'), text: readVersion(pkg.dir, positive(params.version, 'the version')) };
      },
    },
    {
      method: 'POST',
      path: '/avatars/:slug/versions/:version/rollback',
      handler: async ({ params, session }) => {
        const pkg = avatarFor(service, session, params.slug);
        requireManager(session, pkg);
        if (pkg.config.status === 'revoked') throw new HttpError(409, 'This avatar was revoked; its versions were deleted.');
        return { ok: true, version: await rollbackSkill(store, pkg, positive(params.version, 'the version'), session.actor) };
      },
    },
  ];
}
