import type { AvatarPackage } from '../../avatars/package';
import type { AvatarService } from '../../app/avatar-service';
import { avatarsOf } from '../../distill/subject';
import { HttpError } from './http';
import type { AdminSession } from './sessions';

/** An admin sees every avatar; a subject only the avatars they are the person of. */
export function visibleAvatars(service: AvatarService, session: AdminSession): AvatarPackage[] {
  return session.role === 'admin' ? service.registry.list() : avatarsOf(service, session.actor);
}

/** The avatar named in the path, if this session may see it; otherwise 404 (its existence is not revealed). */
export function avatarFor(service: AvatarService, session: AdminSession, slug: string): AvatarPackage {
  const pkg = visibleAvatars(service, session).find((p) => p.config.slug === slug);
  if (!pkg) throw new HttpError(404, `No avatar "${slug}" here.`);
  return pkg;
}

/** As in chat: a departed colleague's avatar is managed by admins, not by its (absent) subject. */
export function requireManager(session: AdminSession, pkg: AvatarPackage): void {
  if (session.role !== 'admin' && pkg.config.person.status === 'departed') {
    throw new HttpError(403, "A departed colleague's avatar is managed by an admin.");
  }
}
