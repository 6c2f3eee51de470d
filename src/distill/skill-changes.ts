import { readSkill, type AvatarPackage } from '../avatars/package';
import type { StateStore } from '../store/types';
import { applyCorrections, approvedCorrections, decideCorrection } from './corrections';
import { anchorsIn } from './skill/anchors';
import { rollbackTo, saveVersion, type VersionMeta } from './versions';

/**
 * Decide a pending correction; an approved one lands in the skill's Corrections section as a new
 * version. The one path for chat (`/avatar approve`), the CLI and the admin console.
 */
export async function settleCorrection(store: StateStore, pkg: AvatarPackage, id: number, approve: boolean, by: string): Promise<VersionMeta | undefined> {
  await decideCorrection(store, pkg.config.slug, id, approve, by);
  if (!approve) return undefined;
  const next = applyCorrections(readSkill(pkg), await approvedCorrections(store, pkg.config.slug));
  return saveVersion(pkg.dir, next, { reason: 'correction', by, evidence: anchorsIn(next).length, changes: [`correction #${id} approved`] });
}

/** Make a saved version the live skill (saved as a new version) and record it in the audit log. */
export async function rollbackSkill(store: StateStore, pkg: AvatarPackage, version: number, by: string): Promise<VersionMeta> {
  const v = rollbackTo(pkg.dir, version, by);
  await store.audit({ actor: by, action: 'rollback', avatar: pkg.config.slug, detail: { to: version, version: v.version } });
  return v;
}
