import type { AvatarPackage } from '../avatars/package';
import { awaitsConsent } from '../avatars/schema';
import type { HandlerContext } from '../chat/commands';
import { t } from '../chat/i18n';
import { redact } from '../corpus/redact';
import type { ChatRouter } from '../chat/router';
import type { Runtime } from '../app/runtime';
import { hasCjk } from '../text/cjk';
import { pendingCorrections, proposeCorrection } from './corrections';
import { avatarsOf, describeHoldings, exportAvatar, isSubject, revoke, setStatus } from './subject';
import { settleCorrection } from './skill-changes';

/**
 * The avatar a subject command acts on: your own (or the one you name, if it is yours), or any
 * avatar for an admin. Departed people's avatars are managed by admins.
 */
async function target(ctx: HandlerContext, runtime: Runtime, name: string | undefined): Promise<AvatarPackage | undefined> {
  const actor = `${ctx.event.platform}:${ctx.event.userId}`;
  const mine = avatarsOf(runtime.service, actor);
  const named = name ? runtime.service.registry.find(name) : undefined;
  if (name && !named) {
    await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `No avatar "${name}".`, `没有名为“${name}”的数字分身。`) });
    return undefined;
  }
  const pkg = named ?? (mine.length === 1 ? mine[0] : undefined);
  if (!pkg) {
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      text: mine.length > 1 ? t(ctx.lang, `You have several avatars; name one: ${mine.map((m) => m.config.handle).join(', ')}.`, `你有多个数字分身，请指定：${mine.map((m) => m.config.handle).join('、')}。`) : t(ctx.lang, 'You have no avatar here. `/distill me` makes one.', '你在这里还没有数字分身，可以用 `/distill me` 建立。'),
    });
    return undefined;
  }
  if (!mine.includes(pkg) && !ctx.isAdmin) {
    await runtime.service.store.audit({ actor, action: 'subject_command_refused', avatar: pkg.config.slug });
    await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'Only the person the avatar is of, or an admin, can do that.', '只有数字分身的本人或管理员可以这样做。') });
    return undefined;
  }
  return pkg;
}

export function registerSubjectCommands(router: ChatRouter, runtime: Runtime): void {
  const { service } = runtime;
  const actorOf = (ctx: HandlerContext): string => `${ctx.event.platform}:${ctx.event.userId}`;
  const sub = (name: string, usage: string, run: (ctx: HandlerContext, pkg: AvatarPackage, rest: string[]) => Promise<void>): void =>
    router.commands.registerAvatarSub({
      name,
      usage,
      handler: async (ctx) => {
        const [first, ...rest] = ctx.args.split(/\s+/).filter(Boolean);
        const named = first && service.registry.find(first) ? first : undefined;
        const pkg = await target(ctx, runtime, named);
        if (!pkg) return;
        // `/avatar mine` says nothing about a language: speak the subject's own (avatar.yaml).
        const lang = ctx.event.locale || hasCjk(ctx.args) || !isSubject(pkg, actorOf(ctx)) ? ctx.lang : (pkg.config.person.languages[0] ?? ctx.lang);
        await run({ ...ctx, lang }, pkg, named ? rest : [first, ...rest].filter(Boolean));
      },
    });

  sub('mine', '/avatar mine', async (ctx, pkg) => {
    await ctx.respond({ kind: 'notice', ephemeral: true, text: await describeHoldings(service, pkg.config.slug, ctx.lang) });
  });
  sub('pause', '/avatar pause', async (ctx, pkg) => {
    await setStatus(service, pkg.config.slug, 'paused', actorOf(ctx));
    await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `@${pkg.config.handle} is paused and answers no one until \`/avatar resume\`.`, `@${pkg.config.handle} 已暂停，在 \`/avatar resume\` 之前不会回答任何人。`) });
  });
  sub('resume', '/avatar resume', async (ctx, pkg) => {
    if (pkg.config.status === 'revoked') {
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'This avatar was revoked; it can only be distilled again, with consent.', '这个数字分身已被撤销，只能在授权后重新蒸馏。') });
      return;
    }
    if (awaitsConsent(pkg.config)) {
      // An imported avatar (understudy avatar import) answers only once consent is recorded.
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `@${pkg.config.handle} was imported without a consent record and stays paused until one is recorded (\`understudy avatar consent ${pkg.config.slug}\`, or \`/distill\` with consent).`, `@${pkg.config.handle} 是导入的数字分身，还没有授权记录；记录授权后（\`understudy avatar consent ${pkg.config.slug}\` 或经授权的 \`/distill\`）才会恢复。`) });
      return;
    }
    await setStatus(service, pkg.config.slug, 'active', actorOf(ctx));
    await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `@${pkg.config.handle} answers again.`, `@${pkg.config.handle} 已恢复回答。`) });
  });
  sub('revoke', '/avatar revoke', async (ctx, pkg) => {
    const started = Date.now();
    const r = await revoke(service, pkg.config.slug, actorOf(ctx));
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      text: t(ctx.lang, `@${pkg.config.handle} is revoked: its sources, index, skill and versions (${r.removedFiles} files) were deleted in ${Date.now() - started} ms. The audit log keeps that this happened, not the content.`, `@${pkg.config.handle} 已撤销：资料、索引、技能和历史版本（${r.removedFiles} 个文件）已在 ${Date.now() - started} 毫秒内删除。审计日志只记录此操作，不保留内容。`),
    });
  });
  sub('export', '/avatar export', async (ctx, pkg) => {
    const zip = await exportAvatar(service, pkg.config.slug, actorOf(ctx));
    if (ctx.transport.uploadFile && ctx.event.channelType === 'dm') {
      await ctx.transport.uploadFile(ctx.target, `${pkg.config.slug}-export.zip`, zip, t(ctx.lang, 'Your skill and sources.', '你的技能与资料。'));
    } else {
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `Run \`/avatar export\` in a DM with me to receive the zip (${Math.round(zip.length / 1024)} KB), or ask an admin for \`understudy avatar export ${pkg.config.slug}\`.`, `请在与我的私聊中执行 \`/avatar export\` 来接收压缩包（${Math.round(zip.length / 1024)} KB）。`) });
    }
  });
  router.commands.registerAvatarSub({
    name: 'correct',
    usage: '/avatar correct <handle> <how they would say it>',
    handler: async (ctx) => {
      const [name, ...rest] = ctx.args.split(/\s+/).filter(Boolean);
      const pkg = name ? service.registry.find(name) : undefined;
      const text = rest.join(' ').trim();
      if (!pkg || !text) {
        await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'Usage: `/avatar correct <handle> <what it should say instead>`', '用法：`/avatar correct <handle> <应该怎么说>`') });
        return;
      }
      // Masked before it is stored or ever reaches the skill.
      const id = await proposeCorrection(service.store, pkg.config.slug, redact(text).text, actorOf(ctx));
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `Thanks: correction #${id} waits for ${pkg.config.person.status === 'departed' ? 'an admin' : pkg.config.person.name} to approve it.`, `谢谢：纠正 #${id} 等待${pkg.config.person.status === 'departed' ? '管理员' : pkg.config.person.name}审批。`) });
    },
  });
  sub('corrections', '/avatar corrections', async (ctx, pkg) => {
    const pending = await pendingCorrections(service.store, pkg.config.slug);
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      text: pending.length ? pending.map((p) => `#${p.id} (${p.at.slice(0, 10)}): ${p.text}`).join('\n') + t(ctx.lang, '\n`/avatar approve <id>` or `/avatar reject <id>`', '\n`/avatar approve <id>` 或 `/avatar reject <id>`') : t(ctx.lang, 'No pending corrections.', '没有待审批的纠正。'),
    });
  });
  for (const verb of ['approve', 'reject'] as const) {
    sub(verb, `/avatar ${verb} <correction id>`, async (ctx, pkg, rest) => {
      const id = Number((rest[0] ?? '').replace(/^#/, ''));
      // Departed people cannot approve: their admins do.
      if (pkg.config.person.status === 'departed' && !ctx.isAdmin) {
        await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, 'Corrections to a departed colleague\'s avatar are approved by an admin.', '前员工数字分身的纠正由管理员审批。') });
        return;
      }
      await settleCorrection(service.store, pkg, id, verb === 'approve', actorOf(ctx));
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `Correction #${id} ${verb === 'approve' ? 'approved: it is now in the skill' : 'rejected'}.`, `纠正 #${id} ${verb === 'approve' ? '已批准并写入技能' : '已拒绝'}。`) });
    });
  }
}
