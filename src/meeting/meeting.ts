import crypto from 'node:crypto';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { answerQuestion } from '../answer/answer';
import { OFFLINE_MODEL } from '../answer/offline';
import type { Answer } from '../answer/types';
import { label } from '../avatars/disclosure';
import type { AvatarHost } from '../avatars/host';
import { readSkill, type AvatarPackage } from '../avatars/package';
import { t } from '../chat/i18n';
import { redact } from '../corpus/redact';
import { classifyError } from '../errors';
import { answerPath, metrics } from '../jobs/metrics';
import { detectLang } from '../text/lang';
import { moderate } from './moderate';
import { displayName, type Asker, type MeetingPlan } from './plan';
import type { Meeting, MeetingAnswer } from './types';

export interface MeetingOptions {
  asker: Asker;
  /** Where the meeting happens (`slack:T1:C1:<ts>`), for the audit log. */
  conversation: string;
  /** The chat model for answers and the moderator; `null` for offline even when one is configured. Default: the host's. */
  model?: BaseChatModel | null;
  id?: string;
  /**
   * Build an index that was never built before asking (the operator's own process: the CLI, the
   * terminal chat). A server builds its indexes at start and through its ingest jobs instead.
   */
  ingestMissing?: boolean;
  /**
   * Where each model step (an avatar's answer, the moderator) waits for a free answer slot: in chat,
   * the router's, shared with questions (UNDERSTUDY_ANSWER_CONCURRENCY). Default: no wait.
   */
  slot?: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface MeetingHooks {
  /** After each avatar has answered, in whatever order they finish: who is done and who is still looking. */
  onProgress?(done: MeetingAnswer[], pending: string[]): void;
  /** Each answer once, in the order the avatars were named; awaited before the next. */
  onAnswer?(answer: MeetingAnswer): Promise<void>;
}

/**
 * Hold a planned meeting: every participant answers the question from its own corpus under the
 * asker's visibility (in parallel, as free answer slots allow: `slot`), each answer audited like a question; then the moderator
 * compares them. An avatar that fails answers with a sentence saying so; the meeting goes on.
 */
export async function holdMeeting(host: AvatarHost, plan: MeetingPlan, options: MeetingOptions, hooks: MeetingHooks = {}): Promise<Meeting> {
  const id = options.id ?? `mtg_${crypto.randomUUID().slice(0, 8)}`;
  const model = options.model === null ? undefined : (options.model ?? host.model);
  if (options.ingestMissing) {
    for (const pkg of plan.participants) if (!host.index(pkg.config.slug).exists()) await host.ingest(pkg.config.slug);
  }
  const done: MeetingAnswer[] = [];
  const pending = new Set(plan.participants.map((p) => displayName(p, plan.lang)));
  const turns = plan.participants.map((pkg) =>
    answerAs(host, pkg, plan, options, id, model).then((a) => {
      done.push(a);
      pending.delete(a.name);
      hooks.onProgress?.([...done], [...pending]);
      return a;
    }),
  );
  // Nothing is left unawaited if a hook throws part-way.
  const settled = Promise.allSettled(turns);
  const answers: MeetingAnswer[] = [];
  try {
    for (const turn of turns) {
      const a = await turn;
      answers.push(a);
      await hooks.onAnswer?.(a);
    }
  } finally {
    await settled;
  }
  const synthesis = await inSlot(options, () => moderate(plan.question, answers, plan.lang, model));
  await host.store.audit({
    actor: options.asker.actor,
    action: 'meeting',
    detail: {
      meeting: id,
      conversation: options.conversation,
      surface: options.asker.viewer.surface,
      avatars: answers.map((a) => a.avatar),
      left_out: plan.leftOut.map((l) => `${l.avatar}:${l.reason}`),
      synthesis: synthesis.method,
    },
  });
  return { id, question: plan.question, lang: plan.lang, answers, leftOut: plan.leftOut, synthesis };
}

async function answerAs(host: AvatarHost, pkg: AvatarPackage, plan: MeetingPlan, options: MeetingOptions, id: string, model: BaseChatModel | undefined): Promise<MeetingAnswer> {
  const slug = pkg.config.slug;
  const viewer = options.asker.viewer;
  let answer: Answer;
  let failure: string | undefined;
  try {
    answer = await inSlot(options, () => answerQuestion({ config: pkg.config, skill: readSkill(pkg), index: host.index(slug), model }, { question: plan.question, viewer, firstContact: false, history: [] }));
  } catch (err) {
    failure = classifyError(err).code;
    answer = failedAnswer(pkg, plan.question, failure);
  }
  metrics.answers.inc({ path: answerPath(answer, OFFLINE_MODEL) });
  // Kept as the avatar's turns in the meeting's conversation, masked like any question and answer,
  // so a follow-up to one avatar in the meeting's thread has the meeting as its context.
  const at = new Date().toISOString();
  const question = redact(plan.question).text;
  await host.store.appendTurn(options.conversation, slug, { role: 'user', text: question, userId: options.asker.actor, at });
  await host.store.appendTurn(options.conversation, slug, { role: 'avatar', text: redact(answer.text).text, at, citations: answer.citations.map((c) => ({ source: c.source, locator: c.locator })) });
  // Audited like a question to the avatar: who asked, where, and which sources were shown.
  await host.store.audit({
    actor: options.asker.actor,
    action: 'ask',
    avatar: slug,
    detail: {
      meeting: id,
      conversation: options.conversation,
      surface: viewer.surface,
      question: question.slice(0, 500),
      grounded: answer.grounded,
      model: answer.model,
      sources: answer.citations.map((c) => `${c.source}#${c.locator}`),
      ...(failure ? { error: failure } : {}),
    },
  });
  return { avatar: slug, name: displayName(pkg, plan.lang), answer };
}

function inSlot<T>(options: MeetingOptions, work: () => Promise<T>): Promise<T> {
  return options.slot ? options.slot(work) : work();
}

function failedAnswer(pkg: AvatarPackage, question: string, code: string): Answer {
  const lang = detectLang(question, pkg.config.person.languages[0] ?? 'en');
  const tag = label(pkg.config, lang);
  return {
    avatar: pkg.config.slug,
    text: t(lang, `I could not look through the material this time (${code}), so I have nothing to add to this meeting.`, `这次没能查阅资料（${code}），所以在本次会议中无法作答。`),
    citations: [],
    disclosure: tag,
    label: tag,
    firstContact: false,
    grounded: false,
    confidence: 'low',
    model: OFFLINE_MODEL,
    lang,
    pronoun: pkg.config.person.pronoun,
  };
}
