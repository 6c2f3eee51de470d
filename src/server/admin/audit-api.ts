import type { Runtime } from '../../app/runtime';
import { visibleAvatars } from './access';
import { HttpError, type AdminRoute } from './http';

/** The newest entries one audit query looks through (the store pages by avatar and action; the rest is filtered here). */
export const AUDIT_SCAN_LIMIT = 10_000;
const MAX_PAGE = 200;

function withoutWords(detail: Record<string, unknown>): Record<string, unknown> {
  const { question: _q, conversation: _c, ...rest } = detail;
  return rest;
}

function when(v: string | null, name: string): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HttpError(400, `${name} must be a date or time (e.g. 2026-07-01 or 2026-07-01T09:00:00Z), got "${v}"`);
  return t;
}

/** The audit log, paged and filtered by actor, action, avatar and time, and its hash chain checked. */
export function auditRoutes(runtime: Runtime): AdminRoute[] {
  const { service } = runtime;
  return [
    {
      method: 'GET',
      path: '/audit',
      handler: async ({ query, session }) => {
        const avatar = query.get('avatar')?.trim() || undefined;
        const action = query.get('action')?.trim() || undefined;
        const actor = query.get('actor')?.trim().toLowerCase() || undefined;
        const from = when(query.get('from'), 'from');
        // A bare date as `to` means the whole of that day.
        const toRaw = query.get('to');
        const to = when(toRaw, 'to');
        const toEnd = to !== undefined && toRaw && /^\d{4}-\d{2}-\d{2}$/.test(toRaw.trim()) ? to + 86_400_000 : to;
        const page = Math.max(1, Number(query.get('page')) || 1);
        const size = Math.min(MAX_PAGE, Math.max(1, Number(query.get('size')) || 50));
        // A subject reads only what concerns their own avatars.
        const mine = session.role === 'admin' ? undefined : new Set(visibleAvatars(service, session).map((p) => p.config.slug));
        if (mine && avatar && !mine.has(avatar)) return { entries: [], total: 0, page, size, limit: AUDIT_SCAN_LIMIT };
        const all = await service.store.auditEntries({ avatar, action, limit: AUDIT_SCAN_LIMIT });
        const matching = all
          .filter((e) => !mine || (e.avatar !== undefined && mine.has(e.avatar)))
          .filter((e) => !actor || e.actor.toLowerCase().includes(actor))
          .filter((e) => (from === undefined || Date.parse(e.at) >= from) && (toEnd === undefined || Date.parse(e.at) < toEnd))
          .reverse();
        // What colleagues asked stays with admins: a subject sees that and when, not the words.
        const shown = matching.slice((page - 1) * size, page * size).map((e) => (mine && e.detail ? { ...e, detail: withoutWords(e.detail) } : e));
        return {
          entries: shown,
          total: matching.length,
          page,
          size,
          limit: AUDIT_SCAN_LIMIT,
          truncated: all.length >= AUDIT_SCAN_LIMIT,
        };
      },
    },
    {
      method: 'GET',
      path: '/audit/verify',
      handler: async () => ({ ...(await service.store.verifyAudit()), checkedAt: new Date().toISOString() }),
    },
  ];
}
