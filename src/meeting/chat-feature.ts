import type { Runtime } from '../app/runtime';
import type { HandlerContext } from '../chat/commands';
import { t } from '../chat/i18n';
import type { ChatRouter } from '../chat/router';
import { conversationKey, viewerOf, type ChatEvent, type MessageRef, type Reply, type ReplyTarget } from '../chat/types';
import { UnderstudyError } from '../errors';
import { holdMeeting, type MeetingOptions } from './meeting';
import { displayName, findAvatar, MAX_AVATARS, needsGroups, planMeeting, splitMeetingArgs, type Asker, type MeetingPlan } from './plan';
import { progressLine, renderHeader, renderSynthesis } from './render';

type Slot = NonNullable<MeetingOptions['slot']>;

export const MEETING_USAGE = `/meeting @avatar-a @avatar-b <question> (2 to ${MAX_AVATARS} avatars)`;

/**
 * A mention the platform rendered as `@Display Name` (a Feishu bot, a person with an avatar)
 * becomes `@slug`, so names with spaces split like handles.
 */
function withMentionSlugs(ctx: HandlerContext): string {
  let text = ctx.args;
  for (const m of ctx.event.mentions) {
    const name = m.name ?? m.id;
    const pkg = findAvatar(ctx.service, name) ?? findAvatar(ctx.service, m.id);
    if (pkg) text = text.split(`@${name}`).join(`@${pkg.config.slug}`);
  }
  return text;
}

async function askerOf(ctx: HandlerContext, names: string[]): Promise<Asker> {
  const { event, transport } = ctx;
  let groups: string[] | undefined;
  if (transport.resolveUser && needsGroups(ctx.service, names)) groups = (await transport.resolveUser(event.userId).catch(() => undefined))?.groups;
  return { actor: `${event.platform}:${event.userId}`, viewer: viewerOf(event), groups };
}

/**
 * `/meeting @a @b <question>`: the meeting's first message (question, who takes part, who was
 * left out, progress), each avatar's answer as a reply in its thread, then the moderator's synthesis.
 */
async function meetingCommand(ctx: HandlerContext, slot: Slot): Promise<void> {
  const { event, service, transport, lang } = ctx;
  const say = (text: string): Promise<unknown> => ctx.respond({ kind: 'notice', ephemeral: true, text });
  const { names, question } = splitMeetingArgs(withMentionSlugs(ctx), (n) => findAvatar(service, n) !== undefined);
  if ((names.length === 0 && question === '') || /^(help|帮助)$/i.test(question) && names.length === 0) {
    await say(t(lang, `Ask several avatars one question, each answering from their own material, then a moderator compares them.\nUsage: \`${MEETING_USAGE}\``, `向多个数字分身提同一个问题，各自根据自己的资料回答，最后由主持人比较。\n用法：\`${MEETING_USAGE}\``));
    return;
  }
  const asker = await askerOf(ctx, names);
  let plan: MeetingPlan;
  try {
    plan = planMeeting(service, names, question, asker, lang);
  } catch (err) {
    if (!(err instanceof UnderstudyError) || (err.code !== 'INPUT_INVALID' && err.code !== 'AVATAR_NOT_FOUND')) throw err;
    ctx.log.info({ code: err.code }, 'meeting refused');
    await say(err.message);
    return;
  }
  for (const l of plan.leftOut.filter((x) => x.reason === 'access')) {
    await service.store.audit({ actor: asker.actor, action: 'access_denied', avatar: l.avatar, detail: { channel: event.channelId, surface: 'meeting' } });
  }
  if (plan.participants.length === 0) {
    await say([...plan.leftOut.map((l) => l.note), t(lang, 'None of the avatars you named can take part, so there is no meeting.', '你指定的数字分身都不能参加，因此会议没有开始。')].join('\n'));
    return;
  }
  await hold(ctx, plan, asker, slot);
}

async function hold(ctx: HandlerContext, plan: MeetingPlan, asker: Asker, slot: Slot): Promise<void> {
  const { event, service, transport, lang } = ctx;
  const id = `mtg_${event.eventId.replace(/[^A-Za-z0-9]/g, '').slice(-10) || Date.now().toString(36)}`;
  const participants = plan.participants.map((p) => ({ name: displayName(p, lang), handle: p.config.handle }));
  const header = (done: string[], pending: string[]): Reply => ({
    kind: 'notice',
    text: renderHeader({ id, question: plan.question, lang, participants, leftOut: plan.leftOut, progress: progressLine(lang, done, pending) }),
  });
  const root = await transport.post(ctx.target, header([], participants.map((p) => p.name)));
  const thread: ReplyTarget = { ...ctx.target, threadId: ctx.target.threadId ?? root.messageId };
  // A terminal prints every edit as a new message: there the first message stays as it is.
  const editable = transport.platform !== 'cli';
  let edits: Promise<void> = Promise.resolve();
  const edit = (ref: MessageRef, reply: Reply): void => {
    if (!editable) return;
    edits = edits.then(() => transport.update(ref, reply)).catch((err: unknown) => ctx.log.warn({ err }, 'could not update the meeting progress'));
  };
  const meeting = await holdMeeting(
    service,
    plan,
    // The terminal chat builds only the index of the avatar it was started with.
    { asker, conversation: conversationKey({ ...event, threadId: thread.threadId } as ChatEvent), id, ingestMissing: transport.platform === 'cli', slot },
    {
      onProgress: (done, pending) => edit(root, header(done.map((a) => a.name), pending)),
      onAnswer: async (a) => {
        await transport.post(thread, { kind: 'answer', answer: a.answer, avatarName: a.name });
      },
    },
  );
  await edits;
  ctx.log.info({ meeting: id, avatars: meeting.answers.length, left_out: meeting.leftOut.length, synthesis: meeting.synthesis.method }, 'meeting held');
  await transport.post(thread, { kind: 'notice', text: renderSynthesis(meeting, meeting.synthesis) });
}

/** Registers `/meeting` on the shared router (see ROUTER_FEATURES). */
export function registerMeetingFeature(router: ChatRouter, _runtime?: Runtime): void {
  // The avatars' answers take the router's answer slots, like questions (UNDERSTUDY_ANSWER_CONCURRENCY).
  router.commands.register({ name: 'meeting', usage: MEETING_USAGE, handler: (ctx) => meetingCommand(ctx, (work) => router.answerSlot(work)) });
}
