import type { AvatarPackage } from '../avatars/package';
import type { HandlerContext } from './commands';
import { DraftStream } from './drafts';
import { t } from './i18n';
import { conversationKey, stickyKey, viewerOf } from './types';

/** Draft intervals up to this are a surface that shows an offline answer piece by piece (see draftPaceMs). */
const QUICK_DRAFTS_MS = 200;

/** Answer a question as an avatar: show a status, ask the core (drafts as it writes), then post or replace with the answer. */
export async function handleAsk(ctx: HandlerContext, avatar: AvatarPackage, question: string): Promise<void> {
  const { event, service, transport, lang } = ctx;
  const slug = avatar.config.slug;
  const conversation = conversationKey(event);
  const statusText = t(lang, `${avatar.config.person.name_en ?? avatar.config.person.name}'s avatar is looking through the material…`, `${avatar.config.person.name}的数字分身正在查阅资料…`);
  const native = transport.setStatus ? await transport.setStatus(ctx.target, statusText).catch(() => false) : false;
  if (!native) await ctx.respond({ kind: 'status', text: statusText });

  let fallbackHistory;
  if (event.threadId && transport.fetchThread && (await service.store.recentTurns(conversation, slug, 1)).length === 0) {
    fallbackHistory = await transport.fetchThread(ctx.target).catch((err: unknown) => {
      ctx.log.warn({ err }, 'could not fetch thread history');
      return undefined;
    });
  }
  // The answer shows while it is written where the platform takes drafts: throttled updates of the
  // placeholder (DraftStream), replaced by the checked answer with its label and citations.
  const avatarName = avatar.config.person.name;
  const interval = transport.draftIntervalMs;
  const drafts = interval === undefined ? undefined : new DraftStream((text) => ctx.respond({ kind: 'draft', text, avatarName }), interval, ctx.log);
  let answer;
  try {
    answer = await service.ask(slug, {
      question,
      viewer: viewerOf(event),
      conversation,
      actor: `${event.platform}:${event.userId}`,
      fallbackHistory,
      onToken: drafts?.sink,
      // Quick surfaces (the web app) see an offline answer arrive piece by piece; rate-limited chat platforms get it whole.
      draftPaceMs: interval !== undefined && interval <= QUICK_DRAFTS_MS ? interval : undefined,
    });
  } catch (err) {
    await drafts?.finish(false);
    throw err;
  }
  await drafts?.finish();
  // Channel threads the avatar answers in stay with it, so follow-ups need no new mention.
  if (event.channelType !== 'dm') await service.store.setSticky(`${stickyKey({ ...event, threadId: ctx.target.threadId })}`, slug);
  await ctx.respond({ kind: 'answer', answer, avatarName });
}
