import { listsGroups, mayUseAvatar } from '../avatars/access';
import type { AvatarPackage } from '../avatars/package';
import { awaitsConsent } from '../avatars/schema';
import type { StateStore } from '../store/types';
import { MAX_QUESTION_CHARS } from '../text/limits';
import { findOrSuggest, helpText } from './avatar-commands';
import type { CommandRouter } from './commands';
import { awaitingConsent, t } from './i18n';
import type { Middleware } from './middleware';
import { conversationKey, stickyKey, viewerOf } from './types';

/**
 * Which avatar a question speaks to: the app's own avatar, `@handle` in the text (hub mode),
 * the sticky choice of this DM or thread, or the only active avatar. Sets `ctx.pkg`, `ctx.avatar`
 * and `ctx.args` (the question without the handle); asks which one when it cannot tell.
 */
export const resolveAvatar: Middleware = async (ctx, next) => {
  const { event, lang } = ctx;
  ctx.info.kind = 'question';
  ctx.info.conversation = conversationKey(event);
  let text = event.text.trim();
  if (text.length > MAX_QUESTION_CHARS) {
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      text: t(lang, `Your message is ${text.length.toLocaleString('en')} characters; I read only the first ${MAX_QUESTION_CHARS.toLocaleString('en')}.`, `你的消息有 ${text.length.toLocaleString('en')} 个字符，我只读取前 ${MAX_QUESTION_CHARS.toLocaleString('en')} 个。`),
    });
    text = text.slice(0, MAX_QUESTION_CHARS);
  }
  const found = await pick(ctx, text);
  if (!found) return;
  ctx.pkg = found.avatar;
  ctx.avatar = found.avatar.config.slug;
  ctx.args = found.question;
  await next();
};

async function pick(ctx: Parameters<Middleware>[0], text: string): Promise<{ avatar: AvatarPackage; question: string } | undefined> {
  const { event, service, lang } = ctx;
  if (event.appAvatar) {
    const own = service.get(event.appAvatar);
    return { avatar: own, question: stripHandle(text, own) };
  }
  const m = /^@([a-z0-9][a-z0-9._-]*)\s*/i.exec(text) ?? /(?:^|\s)@([a-z0-9][a-z0-9._-]*-avatar)\b/i.exec(text);
  if (m) {
    const named = service.registry.find(m[1]);
    if (!named) {
      await findOrSuggest(ctx, m[1]);
      return undefined;
    }
    await service.store.setSticky(stickyKey(event), named.config.slug);
    return { avatar: named, question: text.replace(m[0], ' ').trim() };
  }
  const sticky = await (ctx.ahead?.sticky ? ctx.ahead.sticky() : service.store.getSticky(stickyKey(event)));
  const stickyPkg = sticky ? service.registry.find(sticky) : undefined;
  if (stickyPkg) return { avatar: stickyPkg, question: text };
  const active = service.registry.list().filter((a) => a.config.status === 'active');
  if (active.length === 1) return { avatar: active[0], question: text };
  await ctx.respond({
    kind: 'notice',
    text:
      t(lang, 'Which avatar should answer? Start your message with its handle, or pick one with `/avatar use <handle>`:\n', '请指定由哪个数字分身回答：在消息开头写上它的 handle，或用 `/avatar use <handle>` 选择：\n') +
      active.map((a) => `• @${a.config.handle}: ${a.config.person.name}, ${a.config.person.title}`).join('\n'),
  });
  return undefined;
}

/** The avatar's access list (users, groups, channels): refusals are audited and explained privately. */
export function checkAccess(store: StateStore): Middleware {
  return async function checkAccess(ctx, next) {
    const avatar = ctx.pkg as AvatarPackage;
    const { access } = avatar.config;
    const e = ctx.event;
    const viewer = viewerOf(e);
    if (mayUseAvatar(access, viewer)) return next();
    // The user's groups are looked up only when they could let them in.
    if (listsGroups(access) && ctx.transport.resolveUser) {
      const user = await ctx.transport.resolveUser(e.userId).catch(() => undefined);
      if (mayUseAvatar(access, viewer, user?.groups)) return next();
    }
    ctx.log.info({ avatar: avatar.config.slug }, 'access refused');
    await store.audit({ actor: `${e.platform}:${e.userId}`, action: 'access_denied', avatar: avatar.config.slug, detail: { channel: e.channelId } });
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      errorCode: 'ACCESS_DENIED',
      text: t(
        ctx.lang,
        `The avatar of ${avatar.config.person.name_en ?? avatar.config.person.name} is limited to certain people and channels, and this conversation is not on its list. An admin can add you in its avatar.yaml (access).`,
        `${avatar.config.person.name}的数字分身只对指定的人员和频道开放，当前会话不在名单内。管理员可以在 avatar.yaml 的 access 中添加。`,
      ),
    });
  };
}

/** A paused or revoked avatar says so (an imported one, that it waits for consent); an empty question gets the help text. */
export function avatarStatus(commands: CommandRouter): Middleware {
  return async function avatarStatus(ctx, next) {
    const avatar = ctx.pkg as AvatarPackage;
    const { lang } = ctx;
    if (avatar.config.status === 'paused' && awaitsConsent(avatar.config)) {
      await ctx.respond({ kind: 'notice', text: awaitingConsent(lang, lang === 'zh' ? avatar.config.person.name : (avatar.config.person.name_en ?? avatar.config.person.name)) });
      return;
    }
    if (avatar.config.status !== 'active') {
      await ctx.respond({
        kind: 'notice',
        text: t(
          lang,
          `The digital avatar of ${avatar.config.person.name_en ?? avatar.config.person.name} is not available right now (${avatar.config.status}).`,
          `${avatar.config.person.name}的数字分身目前不可用（${avatar.config.status === 'paused' ? '已暂停' : '已撤销'}）。`,
        ),
      });
      return;
    }
    if (ctx.args.trim() === '') {
      await ctx.respond({ kind: 'notice', text: helpText(commands, lang) });
      return;
    }
    await next();
  };
}

function stripHandle(text: string, avatar: AvatarPackage): string {
  const re = new RegExp(`(^|\\s)@(${escape(avatar.config.handle)}|${escape(avatar.config.slug)})\\b`, 'i');
  return text.replace(re, ' ').trim();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
