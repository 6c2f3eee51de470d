import fs from 'node:fs';
import path from 'node:path';
import { UnderstudyError, classifyError } from '../errors';
import { suggest } from '../util/suggest';
import { AVATAR_FILE, loadAvatarPackage, type AvatarPackage } from './package';

export interface InvalidAvatar {
  dir: string;
  error: UnderstudyError;
}

/** All avatar packages under one folder, looked up by slug, handle or platform app id. */
export class AvatarRegistry {
  private avatars = new Map<string, AvatarPackage>();
  private invalidList: InvalidAvatar[] = [];

  constructor(readonly avatarsDir: string) {
    this.reload();
  }

  reload(): void {
    this.avatars.clear();
    this.invalidList = [];
    if (!fs.existsSync(this.avatarsDir)) return;
    for (const name of fs.readdirSync(this.avatarsDir).sort()) {
      const dir = path.join(this.avatarsDir, name);
      if (!fs.existsSync(path.join(dir, AVATAR_FILE))) continue;
      try {
        const pkg = loadAvatarPackage(dir);
        this.avatars.set(pkg.config.slug, pkg);
      } catch (err) {
        this.invalidList.push({ dir, error: classifyError(err) });
      }
    }
  }

  list(): AvatarPackage[] {
    return [...this.avatars.values()];
  }

  get invalid(): readonly InvalidAvatar[] {
    return this.invalidList;
  }

  /** Find by slug or handle (with or without a leading @). */
  find(nameOrHandle: string): AvatarPackage | undefined {
    const key = nameOrHandle.trim().replace(/^@/, '').toLowerCase();
    const bySlug = this.avatars.get(key);
    if (bySlug) return bySlug;
    return this.list().find((a) => a.config.handle === key);
  }

  /** Like find, but throws AVATAR_NOT_FOUND with the closest names as suggestions. */
  get(nameOrHandle: string): AvatarPackage {
    const found = this.find(nameOrHandle);
    if (found) return found;
    const bad = this.invalidList.find((i) => path.basename(i.dir) === nameOrHandle);
    if (bad) throw bad.error;
    const close = this.closestSlugs(nameOrHandle);
    const hint = close.length > 0 ? ` Did you mean: ${close.join(', ')}?` : this.avatars.size > 0 ? ` Known avatars: ${this.list().map((a) => a.config.slug).join(', ')}.` : ' No avatars exist yet.';
    throw new UnderstudyError('AVATAR_NOT_FOUND', `Unknown avatar "${nameOrHandle}".${hint}`, { details: { suggestions: close } });
  }

  /** Slugs of the avatars whose slug or handle is closest to `name`, one per avatar. */
  closestSlugs(name: string): string[] {
    const bySlugOrHandle = new Map<string, string>();
    for (const a of this.list()) {
      bySlugOrHandle.set(a.config.slug, a.config.slug);
      bySlugOrHandle.set(a.config.handle, a.config.slug);
    }
    return [...new Set(suggest(name, [...bySlugOrHandle.keys()], 6).map((n) => bySlugOrHandle.get(n) as string))].slice(0, 3);
  }

  suggestions(nameOrHandle: string): string[] {
    return this.closestSlugs(nameOrHandle).map((slug) => (this.avatars.get(slug) as AvatarPackage).config.handle);
  }

  bySlackApp(appId: string): AvatarPackage | undefined {
    return this.list().find((a) => a.config.apps.slack?.app_id === appId);
  }

  byLarkApp(appId: string): AvatarPackage | undefined {
    return this.list().find((a) => a.config.apps.lark?.app_id === appId);
  }
}
