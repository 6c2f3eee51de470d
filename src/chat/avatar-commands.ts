import type { AvatarPackage } from '../avatars/package';
import type { AvatarService } from '../app/avatar-service';
import type { CommandRouter, HandlerContext } from './commands';
import { t } from './i18n';
import { stickyKey } from './types';

function line(a: AvatarPackage): string {
  const p = a.config.person;
  const status = a.config.status === 'active' ? '' : ` (${a.config.status})`;
  return `• @${a.config.handle}: ${p.name}${p.name_en && p.name_en !== p.name ? ` / ${p.name_en}` : ''}, ${p.title || '?'}${p.status === 'departed' ? ', departed' : ''}${status}`;
}

/** Resolve a handle or slug, or reply with the closest names. */
export async function findOrSuggest(ctx: HandlerContext, name: string): Promise<AvatarPackage | undefined> {
  const found = ctx.service.registry.find(name);
  if (found) return found;
  const close = ctx.service.registry.suggestions(name);
  await ctx.respond({
    kind: 'notice',
    ephemeral: true,
    text: t(
      ctx.lang,
      `I don't know an avatar called "${name}".${close.length ? ` Did you mean ${close.map((c) => `@${c}`).join(', ')}?` : ''} Try \`/avatar list\`.`,
      `没有名为“${name}”的数字分身。${close.length ? `你是不是想找 ${close.map((c) => `@${c}`).join('、')}？` : ''}可以用 \`/avatar list\` 查看全部。`,
    ),
  });
  return undefined;
}

export function helpText(router: CommandRouter, lang: 'zh' | 'en'): string {
  const lines = [
    t(lang, 'I host digital avatars of colleagues. They answer from the person\'s own documents and messages, with sources, and always say they are avatars.', '我托管同事的数字分身：它们根据本人的文档和消息回答问题，注明出处，并始终表明自己是数字分身。'),
    '',
    t(lang, 'Ask: DM me, or mention me with `@handle your question`.', '提问：直接私聊，或 @我 并写上 `@handle 你的问题`。'),
    '`/avatar list` · `/avatar info <handle>` · `/avatar use <handle>` · `/avatar help`',
    ...router.avatarSubCommands().filter((s) => !['list', 'info', 'use', 'help'].includes(s.name)).map((s) => `\`${s.usage}\``),
    ...router.all().filter((c) => c.name !== 'avatar').map((c) => `\`${c.usage}\``),
  ];
  return lines.join('\n');
}

/** `/avatar list|info|use|help` and the dispatch to subcommands other issues register. */
export function registerAvatarCommands(router: CommandRouter): void {
  router.register({
    name: 'avatar',
    usage: '/avatar help',
    handler: async (ctx) => {
      const [sub = 'help', ...rest] = ctx.args.split(/\s+/).filter(Boolean);
      const spec = router.avatarSub(sub);
      if (!spec || sub === 'help') {
        await ctx.respond({
          kind: 'notice',
          ephemeral: true,
          text: (spec || sub === 'help' ? '' : t(ctx.lang, `Unknown subcommand "${sub}".\n\n`, `未知的子命令“${sub}”。\n\n`)) + helpText(router, ctx.lang),
        });
        return;
      }
      await spec.handler({ ...ctx, args: rest.join(' ') });
    },
  });
  router.registerAvatarSub({
    name: 'list',
    usage: '/avatar list',
    handler: async (ctx) => {
      const all = ctx.service.registry.list().filter((a) => a.config.status !== 'revoked');
      await ctx.respond({
        kind: 'notice',
        ephemeral: true,
        text: all.length ? [t(ctx.lang, 'Avatars here:', '这里的数字分身：'), ...all.map(line)].join('\n') : t(ctx.lang, 'No avatars yet.', '还没有数字分身。'),
      });
    },
  });
  router.registerAvatarSub({
    name: 'info',
    usage: '/avatar info <handle>',
    handler: async (ctx) => {
      const name = ctx.args.split(/\s+/)[0] || ctx.avatar;
      if (!name) {
        await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'Usage: `/avatar info <handle>`', '用法：`/avatar info <handle>`') });
        return;
      }
      const a = await findOrSuggest(ctx, name);
      if (!a) return;
      await ctx.respond({ kind: 'notice', ephemeral: true, text: describeAvatar(ctx.service, a, ctx.lang) });
    },
  });
  router.registerAvatarSub({
    name: 'use',
    usage: '/avatar use <handle>',
    handler: async (ctx) => {
      const name = ctx.args.split(/\s+/)[0];
      if (ctx.event.appAvatar) {
        await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `This app always speaks as @${ctx.service.get(ctx.event.appAvatar).config.handle}.`, `这个应用固定为 @${ctx.service.get(ctx.event.appAvatar).config.handle}。`) });
        return;
      }
      if (!name) {
        await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'Usage: `/avatar use <handle>`', '用法：`/avatar use <handle>`') });
        return;
      }
      const a = await findOrSuggest(ctx, name);
      if (!a) return;
      await ctx.service.store.setSticky(stickyKey(ctx.event), a.config.slug);
      await ctx.respond({
        kind: 'notice',
        ephemeral: true,
        text: t(ctx.lang, `From now on in this conversation you are talking to @${a.config.handle} (${a.config.person.name_en ?? a.config.person.name}'s digital avatar).`, `接下来在这个会话里由 @${a.config.handle}（${a.config.person.name}的数字分身）回答。`),
      });
    },
  });
}

export function describeAvatar(service: AvatarService, a: AvatarPackage, lang: 'zh' | 'en'): string {
  const c = a.config;
  const p = c.person;
  const index = service.index(c.slug);
  const sources = index.exists() ? index.chunkStore().sourceCounts().length : 0;
  const consent = c.consent ? `${c.consent.basis} (${c.consent.approved_by}, ${c.consent.recorded_at.slice(0, 10)})` : t(lang, 'none recorded', '无记录');
  return [
    `*@${c.handle}*: ${t(lang, 'digital avatar of', '数字分身：')} ${p.name}${p.name_en && p.name_en !== p.name ? ` (${p.name_en})` : ''}`,
    `${p.title}${p.team ? `, ${p.team}` : ''}; ${p.status === 'departed' ? t(lang, 'former employee', '前员工') : t(lang, 'current employee', '在职')}${p.tenure ? ` (${p.tenure})` : ''}`,
    `${t(lang, 'Languages', '语言')}: ${p.languages.join(', ')} · ${t(lang, 'Sources', '资料')}: ${sources} (${index.count()} chunks) · ${t(lang, 'Status', '状态')}: ${c.status}`,
    `${t(lang, 'Consent', '授权')}: ${consent}`,
  ].join('\n');
}
