import { listsGroups, mayUseAvatar } from '../avatars/access';
import type { AvatarHost } from '../avatars/host';
import type { AvatarPackage } from '../avatars/package';
import { awaitsConsent } from '../avatars/schema';
import type { Viewer } from '../avatars/visibility';
import { UnderstudyError } from '../errors';
import { awaitingConsent, t } from '../chat/i18n';
import type { Lang } from '../text/lang';
import { MAX_QUESTION_CHARS } from '../text/limits';

/** More voices than this make a thread nobody reads, and as many model calls per question. */
export const MAX_AVATARS = 5;
export const MIN_AVATARS = 2;

/** Who asks for the meeting, as an avatar's access list sees them. */
export interface Asker {
  /** Platform-qualified id for the audit log (`slack:U1`, `cli:alice`). */
  actor: string;
  viewer: Viewer;
  /** User group / department ids, when the platform told us (access lists with `groups`). */
  groups?: string[];
}

/** An avatar named for the meeting that will not take part, and the sentence that says why. */
export interface LeftOut {
  avatar: string;
  name: string;
  reason: 'access' | 'paused' | 'revoked';
  note: string;
}

/** Who takes part, who was left out, and the question: everything checked before any avatar answers. */
export interface MeetingPlan {
  question: string;
  lang: Lang;
  participants: AvatarPackage[];
  leftOut: LeftOut[];
}

/** `@lao-zhang-avatar @lin-xiaoyu-avatar question` / `lao-zhang lin-xiaoyu question`: the names first, then the question. */
export function splitMeetingArgs(text: string, isAvatar: (name: string) => boolean): { names: string[]; question: string } {
  const names: string[] = [];
  let rest = text.trim();
  for (;;) {
    const m = /^(@?[^\s,，、]+)[\s,，、]*/u.exec(rest);
    if (!m) break;
    const token = m[1];
    // A leading @name is always meant as an avatar; a bare word only when it is one (else the question starts).
    if (!token.startsWith('@') && !isAvatar(token)) break;
    names.push(token.replace(/^@/, ''));
    rest = rest.slice(m[0].length);
  }
  return { names, question: rest.trim() };
}

/** An avatar by slug or handle, or by the name a chat mention shows (display name, the person's names and aliases). */
export function findAvatar(host: AvatarHost, name: string): AvatarPackage | undefined {
  const found = host.registry.find(name);
  if (found) return found;
  const key = name.replace(/^@/, '').trim().toLowerCase();
  return host.registry.list().find((p) => [p.config.display_name, p.config.person.name, p.config.person.name_en, ...(p.config.person.aliases ?? [])].some((n) => n?.toLowerCase() === key));
}

export function displayName(pkg: AvatarPackage, lang: Lang): string {
  const p = pkg.config.person;
  return lang === 'zh' ? p.name : (p.name_en ?? p.name);
}

/** Whether any of these avatars has a group access list (then the asker's groups are worth looking up). */
export function needsGroups(host: AvatarHost, names: string[]): boolean {
  return names.some((n) => {
    const pkg = findAvatar(host, n);
    return pkg !== undefined && listsGroups(pkg.config.access);
  });
}

function invalid(en: string, zh: string, lang: Lang): UnderstudyError {
  return new UnderstudyError('INPUT_INVALID', t(lang, en, zh), { details: { zh } });
}

/**
 * Check a meeting before it starts: 2 to 5 known avatars and a question. Avatars the asker may not
 * use (access list) or that are paused or revoked are left out with a note, never silently.
 */
export function planMeeting(host: AvatarHost, names: string[], question: string, asker: Asker, lang: Lang): MeetingPlan {
  const q = question.trim();
  const usage = t(lang, 'Name 2 to 5 avatars, then the question: `/meeting @lao-zhang-avatar @lin-xiaoyu-avatar <question>`.', '请先写 2 到 5 个数字分身，再写问题：`/meeting @lao-zhang-avatar @lin-xiaoyu-avatar <问题>`。');
  // Too many is said first: looking each name up would only report the first typo among six.
  const named = [...new Set(names.map((n) => findAvatar(host, n)?.config.slug ?? n.replace(/^@/, '')))];
  if (named.length > MAX_AVATARS) {
    throw invalid(
      `A meeting has at most ${MAX_AVATARS} avatars; you named ${named.length} (${named.join(', ')}). Leave some out and ask again.`,
      `一次会议最多 ${MAX_AVATARS} 个数字分身，你写了 ${named.length} 个（${named.join('、')}）。请减少后再试。`,
      lang,
    );
  }
  const unique: AvatarPackage[] = [];
  for (const name of names) {
    const pkg = findAvatar(host, name);
    if (!pkg) {
      const hints = host.registry.suggestions(name);
      const hint = hints.length ? t(lang, ` Did you mean ${hints.map((h) => `@${h}`).join(', ')}?`, `你是不是想找 ${hints.map((h) => `@${h}`).join('、')}？`) : '';
      throw new UnderstudyError('AVATAR_NOT_FOUND', t(lang, `There is no avatar "${name}".${hint}`, `没有名为“${name}”的数字分身。${hint}`), { details: { zh: `没有名为“${name}”的数字分身。${hint}`, suggestions: hints } });
    }
    if (!unique.includes(pkg)) unique.push(pkg);
  }
  if (unique.length < MIN_AVATARS) throw invalid(`A meeting needs at least ${MIN_AVATARS} avatars. ${usage}`, `会议至少需要 ${MIN_AVATARS} 个数字分身。${usage}`, lang);
  if (q === '') throw invalid(`What should they discuss? ${usage}`, `要讨论什么问题？${usage}`, lang);
  if (q.length > MAX_QUESTION_CHARS) {
    throw invalid(`The question is ${q.length.toLocaleString('en')} characters; a meeting takes at most ${MAX_QUESTION_CHARS.toLocaleString('en')}.`, `问题有 ${q.length.toLocaleString('en')} 个字符，会议最多接受 ${MAX_QUESTION_CHARS.toLocaleString('en')} 个。`, lang);
  }
  const participants: AvatarPackage[] = [];
  const leftOut: LeftOut[] = [];
  for (const pkg of unique) {
    const name = displayName(pkg, lang);
    const status = pkg.config.status;
    if (status === 'paused' && awaitsConsent(pkg.config)) {
      leftOut.push({ avatar: pkg.config.slug, name, reason: status, note: awaitingConsent(lang, name, 'meeting') });
    } else if (status === 'paused' || status === 'revoked') {
      leftOut.push({ avatar: pkg.config.slug, name, reason: status, note: t(lang, `${name}'s avatar is ${status} and does not take part.`, `${name}的数字分身${status === 'paused' ? '已暂停' : '已撤销'}，不参加本次会议。`) });
    } else if (!mayUseAvatar(pkg.config.access, asker.viewer, asker.groups)) {
      leftOut.push({
        avatar: pkg.config.slug,
        name,
        reason: 'access',
        note: t(lang, `${name}'s avatar is limited to certain people and channels, and you or this conversation are not on its list, so it does not take part.`, `${name}的数字分身只对指定的人员和频道开放，你或当前会话不在名单内，因此不参加本次会议。`),
      });
    } else participants.push(pkg);
  }
  return { question: q, lang, participants, leftOut };
}
