import type { AvatarHost } from '../avatars/host';
import { saveAvatarConfig } from '../avatars/package';
import { awaitsConsent, withConsent, type ConsentRecord } from '../avatars/schema';
import { UnderstudyError } from '../errors';

/**
 * Record consent for an avatar that has none (an imported one): the record goes into avatar.yaml,
 * `consent_pending` goes, and an avatar paused only for want of consent answers again. Audited.
 */
export async function recordConsent(service: AvatarHost, slug: string, record: ConsentRecord, actor: string): Promise<{ status: string }> {
  const pkg = service.get(slug);
  if (pkg.config.status === 'revoked') throw new UnderstudyError('AVATAR_UNAVAILABLE', `${pkg.config.slug} was revoked; distill it again (with consent) to bring it back.`);
  const waited = awaitsConsent(pkg.config);
  const next = withConsent(pkg.config, record);
  saveAvatarConfig(pkg.dir, next);
  await service.store.audit({ actor, action: 'consent_recorded', avatar: pkg.config.slug, detail: { basis: record.basis, approved_by: record.approved_by, reason: record.reason ?? null, was_pending: waited, status: next.status } });
  service.reload();
  return { status: next.status };
}
