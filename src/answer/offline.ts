import type { Lang } from '../avatars/disclosure';
import type { AvatarConfig } from '../avatars/schema';
import type { SearchHit } from '../retrieval/avatar-index';
import { tokenize } from '../retrieval/tokenize';
import { splitSentences } from './sentences';

export const OFFLINE_MODEL = 'offline-extractive';

const WHOLE_CHUNK_CHARS = 420;
const MAX_QUOTE_CHARS = 700;
const MAX_SOURCES = 3;

export interface Excerpt {
  hit: SearchHit;
  quote: string;
}

/**
 * Pick what to quote from each hit: short chunks whole, otherwise the best-matching sentence
 * and the lines after it (so a procedure keeps its steps).
 */
export function selectExcerpts(hits: SearchHit[], question: string, expansions: string[]): Excerpt[] {
  const weights = new Map<string, number>();
  for (const t of tokenize(question)) weights.set(t, 1);
  for (const e of expansions) for (const t of tokenize(e)) if (!weights.has(t)) weights.set(t, 0.5);
  const out: Excerpt[] = [];
  for (const hit of hits.slice(0, MAX_SOURCES)) {
    const text = hit.chunk.text.trim();
    if (text.length <= WHOLE_CHUNK_CHARS) {
      out.push({ hit, quote: text });
      continue;
    }
    const sentences = splitSentences(text);
    let best = 0;
    let bestScore = -1;
    sentences.forEach((s, i) => {
      const toks = new Set(tokenize(s));
      let score = 0;
      for (const [t, w] of weights) if (toks.has(t)) score += w;
      // Prefer the start of a procedure or section when scores tie.
      if (/^(#{1,6}\s|\d+[.)、]|步骤|step)/i.test(s)) score += 0.25;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    const picked: string[] = [];
    let len = 0;
    for (let i = best; i < sentences.length && len < MAX_QUOTE_CHARS; i++) {
      picked.push(sentences[i]);
      len += sentences[i].length;
    }
    out.push({ hit, quote: picked.join('\n') });
  }
  return out;
}

function describe(hit: SearchHit, lang: Lang): string {
  const c = hit.chunk;
  const name = c.title ?? c.source.split('/').pop() ?? c.source;
  const date = c.date ? c.date.slice(0, 10) : '';
  if (lang === 'zh') {
    const kind = c.kind === 'email' ? '邮件' : c.kind === 'slack' || c.kind === 'feishu' ? '消息' : '文档';
    return `${kind}《${name}》${date ? `（${date}）` : ''}`;
  }
  const kind = c.kind === 'email' ? 'e-mail' : c.kind === 'slack' || c.kind === 'feishu' ? 'message' : 'document';
  return `${kind} "${name}"${date ? ` (${date})` : ''}`;
}

function quoteBlock(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/** Compose the offline answer: an honest preface, then quoted, numbered passages. */
export function composeOffline(config: AvatarConfig, excerpts: Excerpt[], lang: Lang): string {
  const name = lang === 'zh' ? config.person.name : (config.person.name_en ?? config.person.name);
  const preface =
    lang === 'zh'
      ? `以下是${name}的资料里与你的问题最相关的原文（离线模式：直接引用，不做生成）：`
      : `Here is what ${name}'s material says that best matches your question (offline mode: quoted, not generated):`;
  const blocks = excerpts.map((e, i) => {
    const head = lang === 'zh' ? `[${i + 1}] ${describe(e.hit, lang)}：` : `[${i + 1}] From the ${describe(e.hit, lang)}:`;
    return `${head}\n${quoteBlock(e.quote)}`;
  });
  return [preface, ...blocks].join('\n\n');
}

export function nothingFound(config: AvatarConfig, lang: Lang, topics: string[]): string {
  const name = lang === 'zh' ? config.person.name : (config.person.name_en ?? config.person.name);
  const list = topics.slice(0, 5).join(lang === 'zh' ? '、' : ', ');
  if (lang === 'zh') {
    return `${name}的资料里没有关于这个问题的内容，我不想凭空猜测。${list ? `我能回答的主题包括：${list}。` : ''}`;
  }
  return `I don't have anything on that in ${name}'s material, and I won't guess.${list ? ` Topics I can answer from: ${list}.` : ''}`;
}
