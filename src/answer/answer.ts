import { detectLang, type Lang } from '../text/lang';
import { introduction, label } from '../avatars/disclosure';
import type { AvatarConfig } from '../avatars/schema';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AvatarIndex, SearchHit } from '../retrieval/avatar-index';
import { tokenize } from '../retrieval/tokenize';
import { MAX_QUESTION_CHARS } from '../text/limits';
import { searchPlan } from './follow-up';
import { checkModelReply, draftVerdict } from './guard';
import { generate, modelName } from './llm';
import { composeOffline, nothingFound, OFFLINE_MODEL, selectExcerpts } from './offline';
import { buildPrompt } from './prompt';
import { visibleTopics } from './topics';
import type { Answer, AskInput, Citation } from './types';

const RETRIEVE_K = 6;

export interface AnswerDeps {
  config: AvatarConfig;
  skill: string;
  index: AvatarIndex;
  model?: BaseChatModel;
  /**
   * The answer as it is written: the model's tokens as they stream (before the reply checks:
   * show them only as a draft that the returned Answer replaces, never as the posted reply), or
   * the offline answer piece by piece. `restart` voids what came before (the model failed
   * half-way and the offline answer follows).
   */
  onToken?: TokenSink;
  /**
   * Pause between the pieces of an offline answer streamed to `onToken`, for surfaces that show
   * quick drafts (the web app); 0 or unset hands them over at once.
   */
  draftPaceMs?: number;
}

/** Receives an answer being written, piece by piece (see AnswerDeps.onToken). */
export type TokenSink = (piece: string, options?: { restart?: boolean }) => void;

/**
 * The model's tokens as drafts, screened: held back while the reply may still be the
 * not-covered marker, and stopped (restarted empty) once it is that or repeats the prompt.
 */
function screened(sink: TokenSink): TokenSink {
  let raw = '';
  let shown = 0;
  let stopped = false;
  return (piece) => {
    if (stopped) return;
    raw += piece;
    const verdict = draftVerdict(raw);
    if (verdict === 'wait') return;
    if (verdict === 'stop') {
      stopped = true;
      if (shown > 0) sink('', { restart: true });
      return;
    }
    sink(raw.slice(shown));
    shown = raw.length;
  };
}

/** An offline answer handed to `sink` a paragraph (a lead unit, a quoted passage) at a time. */
async function streamOffline(sink: TokenSink | undefined, text: string, paceMs = 0): Promise<void> {
  if (!sink) return;
  const pieces = text.split(/(?<=\n\n)/);
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0 && paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
    sink(pieces[i]);
  }
}

function toCitation(n: number, hit: SearchHit, quote?: string, locator?: string): Citation {
  const c = hit.chunk;
  return {
    n, source: c.source, locator: locator ?? c.locator, text: (quote ?? c.text).trim(), title: c.title, url: c.url, kind: c.kind, date: c.date, visibility: c.visibility,
  };
}

/**
 * The one entry point from any surface: (avatar, question, history, viewer) -> Answer.
 * Retrieval decides whether the avatar has anything to say; the model (or the offline
 * composer) only words what the cited sources hold.
 */
export async function answerQuestion(deps: AnswerDeps, input: AskInput): Promise<Answer> {
  const { config } = deps;
  const raw = input.question ?? '';
  const lang: Lang = detectLang(raw, config.person.languages[0] ?? 'en');
  const base = {
    avatar: config.slug,
    label: label(config, lang),
    disclosure: input.firstContact ? introduction(config, lang) : label(config, lang),
    firstContact: input.firstContact,
    lang,
    pronoun: config.person.pronoun,
  };
  const trimmed = raw.trim();
  if (trimmed === '') {
    return { ...base, text: emptyQuestion(config, lang), citations: [], grounded: false, confidence: 'low', model: OFFLINE_MODEL };
  }
  const unclear = unclearQuestion(trimmed, config, lang);
  if (unclear) return { ...base, text: unclear, citations: [], grounded: false, confidence: 'low', model: OFFLINE_MODEL };
  let question = trimmed;
  let note = '';
  if (question.length > MAX_QUESTION_CHARS) {
    question = question.slice(0, MAX_QUESTION_CHARS);
    note =
      lang === 'zh'
        ? `（你的问题有 ${trimmed.length.toLocaleString('en')} 个字符，我只读了前 ${MAX_QUESTION_CHARS.toLocaleString('en')} 个。）\n\n`
        : `(Your message was ${trimmed.length.toLocaleString('en')} characters long; I read the first ${MAX_QUESTION_CHARS.toLocaleString('en')}.)\n\n`;
  }
  if (deps.index.count() === 0) {
    const text = lang === 'zh' ? `${config.person.name}的数字分身还没有任何资料，所以暂时无法回答。` : `This avatar has no material yet, so I cannot answer anything.`;
    return { ...base, text: note + text, citations: [], grounded: false, confidence: 'low', model: OFFLINE_MODEL };
  }

  const plan = await searchPlan(question, input.history ?? [], deps.model);
  let query = plan.query;
  let result = await deps.index.search(query, { k: RETRIEVE_K, viewer: input.viewer });
  if (!result.grounded && plan.previous) {
    // "那回滚之后呢？" found nothing of its own: the previous question's material is the closest, hedged.
    const earlier = await deps.index.search(plan.previous, { k: RETRIEVE_K, viewer: input.viewer });
    if (earlier.grounded) {
      query = `${question}\n${plan.previous}`;
      result = { ...earlier, confidence: 'low' };
    }
  }
  // Retrieval found nothing, or the model found that what it found does not answer: the same decline.
  const before = note;
  const decline = (): Answer => {
    const topics = visibleTopics(deps.index, config, input.viewer);
    return { ...base, text: before + nothingFound(config, lang, topics), citations: [], grounded: false, confidence: 'low', model: deps.model ? modelName(deps.model) : OFFLINE_MODEL };
  };
  if (!result.grounded || result.hits.length === 0) return decline();
  // Middling evidence is still shown, but said to be the closest there is, not an answer.
  const confidence = result.confidence ?? 'high';
  if (confidence === 'low') note += hedge(lang);

  if (deps.model) {
    const messages = buildPrompt({
      config, skill: deps.skill, hits: result.hits, history: input.history ?? [], question, lang, firstContact: input.firstContact, introduction: base.disclosure,
    });
    try {
      const raw = await generate(deps.model, messages, deps.onToken && screened(deps.onToken), { budget: 'answer' });
      const reply = checkModelReply(raw, config, result.hits.length, lang);
      if (reply.notCovered) return decline();
      const citations = reply.used.map((n) => toCitation(n, result.hits[n - 1]));
      return { ...base, text: note + reply.text, citations, grounded: reply.grounded, confidence: reply.grounded ? confidence : 'low', model: modelName(deps.model) };
    } catch (err) {
      // Fall through to the offline composer: an answer from the sources beats an error. The
      // model's guard has logged the cause; the asker gets one line on why this is a quote.
      // What the model streamed before it failed is void: the offline answer's drafts start afresh.
      deps.onToken?.('', { restart: true });
      const late = (err as { details?: { reason?: string } }).details?.reason === 'timeout';
      note +=
        lang === 'zh'
          ? late ? '（模型没能及时回答，以下直接引用资料原文。）\n\n' : '（模型暂时不可用，以下直接引用资料原文。）\n\n'
          : late ? '(The language model did not answer in time, so I am quoting the sources directly.)\n\n' : '(The language model is unavailable right now, so I am quoting the sources directly.)\n\n';
    }
  }
  // Unsure which passage answers, show a few more of the closest ones rather than only the top.
  const pool = confidence === 'low' ? result.hits.slice(0, 4) : closeToBest(result.hits).slice(0, 4);
  // The rest may still be quoted briefly, for a part of the question the pool leaves open.
  const rest = result.hits.filter((h) => !pool.includes(h));
  const excerpts = selectExcerpts(pool, query, result.expansions, { index: deps.index, viewer: input.viewer }, rest);
  const text = note + composeOffline(config, excerpts, lang);
  await streamOffline(deps.onToken, text, deps.draftPaceMs);
  return {
    ...base,
    text,
    citations: excerpts.map((e, i) => toCitation(i + 1, e.hit, e.quote, e.locator)),
    grounded: true,
    confidence,
    model: OFFLINE_MODEL,
  };
}

/** The best hit and those nearly as good: quoting a weak third match only adds noise. */
export function closeToBest(hits: SearchHit[]): SearchHit[] {
  const [best, ...rest] = hits;
  if (!best) return [];
  const cov = best.coverage;
  const sim = best.similarity ?? 0;
  return [best, ...rest.filter((h) => h.coverage >= Math.max(0.25, 0.6 * cov) || (h.similarity ?? 0) >= Math.max(0.2, 0.85 * sim))];
}

function hedge(lang: Lang): string {
  return lang === 'zh' ? '这是我能找到的最接近的内容，不一定能回答你的问题。\n\n' : 'This is the closest material I have, which may not answer this.\n\n';
}

/** A reply for input that holds no question to search: only a command, or no words at all (emoji, punctuation). */
function unclearQuestion(text: string, config: AvatarConfig, lang: Lang): string | undefined {
  const name = lang === 'zh' ? config.person.name : (config.person.name_en ?? config.person.name);
  if (/^\/[^\s/]+$/u.test(text)) {
    return lang === 'zh'
      ? `“${text.slice(0, 40)}”像是一条命令，不是问题。我不执行命令；请用一句话问我${name}资料里的内容，或者发送 /avatar help 查看可用命令。`
      : `"${text.slice(0, 40)}" looks like a command, not a question. I don't run commands: ask me about ${name}'s material in a sentence, or send /avatar help for the commands.`;
  }
  if (tokenize(text.slice(0, MAX_QUESTION_CHARS)).length === 0) {
    return lang === 'zh' ? `我需要一个用文字写的问题，才能在${name}的资料里查找。` : `I need a question in words to search ${name}'s material.`;
  }
  return undefined;
}

function emptyQuestion(config: AvatarConfig, lang: Lang): string {
  return lang === 'zh'
    ? `请直接输入你的问题，我会根据${config.person.name}的资料回答并注明出处。`
    : `Ask me a question and I will answer from ${config.person.name_en ?? config.person.name}'s material, with sources.`;
}
