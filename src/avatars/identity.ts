import type { AvatarConfig } from './schema';

/** Who an avatar stands for, as the web pages list it: the playground's picker and the admin console. */
export function avatarIdentity(c: AvatarConfig) {
  return {
    slug: c.slug,
    handle: c.handle,
    name: c.person.name,
    nameEn: c.person.name_en,
    title: c.person.title,
    team: c.person.team,
    languages: c.person.languages,
    personStatus: c.person.status,
    status: c.status,
  };
}
