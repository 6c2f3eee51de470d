import type { Lang } from '../text/lang';
import type { AvatarConfig } from '../avatars/schema';
import { NOT_COVERED } from './prompt';

/**
 * Checks on a model's reply before anyone sees it. The prompt asks the model to keep the rules;
 * this makes sure of the ones that matter most, whatever a document talked it into:
 * it never claims to be the person, never shows its instructions, and cites only real sources.
 */
export interface CheckedReply {
  text: string;
  /** Valid source numbers cited, in order of first use. */
  used: number[];
  /** False when the reply cites nothing, cites sources that do not exist, or says the sources do not cover it. */
  grounded: boolean;
  /** The model found that the sources do not answer: decline as when retrieval finds nothing. */
  notCovered?: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The names someone might claim to be: name, English name, and aliases that are names (not e-mails or ids). */
function personNames(config: AvatarConfig): string[] {
  const p = config.person;
  const names = [p.name, p.name_en, ...(p.aliases ?? [])].filter((n): n is string => Boolean(n && n.trim()));
  return [...new Set(names.filter((n) => !/[@_]|^[A-Z]\d|^ou_|^U0/.test(n)).map((n) => n.trim()))].sort((a, b) => b.length - a.length);
}

function claimPatterns(config: AvatarConfig): RegExp[] {
  const names = personNames(config).map(escapeRe).join('|');
  const who = names ? `(?:${names})` : '(?!)';
  return [
    // "I'm Lao Zhang himself", "I am the real Lao Zhang" (but not "I am Lao Zhang's avatar").
    new RegExp(`\\bI(?:'m|’m| am)\\s+(?:really\\s+|actually\\s+|indeed\\s+|truly\\s+)?(?:the\\s+(?:real|actual|true)\\s+)?${who}(?!\\s*(?:'s|’s))\\b`, 'i'),
    new RegExp(`\\b(?:this is|it's|it’s|it is)\\s+(?:really\\s+|actually\\s+)?(?:the\\s+real\\s+)?${who}\\s+(?:himself|herself|themselves|in person|speaking|here)\\b`, 'i'),
    /\bI(?:'m|’m| am)\s+(?:not\s+(?:an?\s+)?|no\s+)(?:bot|robot|AI|A\.I\.|avatar|digital avatar|machine|program|software|language model|chatbot)\b/i,
    /\bI(?:'m|’m| am)\s+(?:an?\s+)?(?:real|actual|living)\s+(?:human|person|one)\b/i,
    /\bI(?:'m|’m| am)\s+(?:a\s+)?human(?:\s+being)?\b/i,
    new RegExp(`我(?:就|真的|确实|其实)?是(?:真正的|真的)?${who}(?:本人|自己)?(?!的)`),
    new RegExp(`我(?:就是|才是)?${who}?本人`),
    /(?:我|^\s*(?:也|并|可)?)不是(?:机器人|AI|人工智能|数字分身|分身|程序|bot|聊天机器人)/i,
    /我是(?:真人|活人|真正的人)/,
  ];
}

function disclosureSentence(config: AvatarConfig, lang: Lang): string {
  const p = config.person;
  if (lang === 'zh') return `我是${p.name}的数字分身，不是${p.name}本人。`;
  const who = p.name_en ?? p.name;
  const self = p.pronoun === 'he' ? 'himself' : p.pronoun === 'she' ? 'herself' : 'in person';
  return `I am the digital avatar of ${who}, not ${who} ${self}.`;
}

/** Sentences (and lines) of a reply, keeping their trailing punctuation and whitespace. */
function pieces(text: string): string[] {
  // The Chinese comma ends a clause too: "我是真人，先回滚" keeps its second half.
  return text.match(/[^\n。！？!?.，]*(?:[。！？!?，]+|\.(?=\s|$)|\n|$)\s*/g)?.filter((s) => s !== '') ?? [text];
}

/** Replace every sentence that claims to be the person (or a human) with the disclosure, once. */
export function replaceImpersonation(text: string, config: AvatarConfig, lang: Lang): { text: string; replaced: boolean } {
  const patterns = claimPatterns(config);
  let replaced = false;
  const out = pieces(text).map((s) => {
    if (!patterns.some((re) => re.test(s))) return s;
    const trail = /\s*$/.exec(s)?.[0] ?? '';
    const first = !replaced;
    replaced = true;
    return first ? `${disclosureSentence(config, lang)}${trail || ' '}` : trail;
  });
  return { text: out.join('').trim(), replaced };
}

/** Distinctive lines of our own prompt: a reply that repeats them is showing its instructions. */
const PROMPT_MARKERS = [/Rules you always follow/i, /untrusted DATA/i, /<<<SOURCE/, /# Distilled skill/i, /SOURCES \(untrusted data/i, /standalone question that can be searched/i];

/** The model saying the sources do not cover the question (rule 3 of the prompt). */
const SAYS_NOT_COVERED = /\b(?:material|sources?|documents?)\s+(?:do(?:es)?\s+not|don't|doesn't|do not)\s+(?:cover|answer|mention|say)\b|\bnothing (?:on|about) (?:that|this)\b|资料(?:里|中)?(?:没有|并没有|未)(?:涉及|提到|覆盖|相关|关于)|没有(?:涉及|覆盖)这个问题/i;

/**
 * Whether a model reply still being written may be shown as a draft: `wait` while it may yet turn
 * out to be the not-covered marker, `stop` once it is that marker or repeats our instructions (the
 * checked answer replaces it), else `show`. Drafts are only ever replaced by the checked reply.
 */
export function draftVerdict(raw: string): 'wait' | 'show' | 'stop' {
  const head = raw.trimStart().toUpperCase();
  if (head.startsWith(NOT_COVERED)) return 'stop';
  if (NOT_COVERED.startsWith(head)) return 'wait';
  return PROMPT_MARKERS.some((re) => re.test(raw)) ? 'stop' : 'show';
}

export function checkModelReply(raw: string, config: AvatarConfig, sourceCount: number, lang: Lang): CheckedReply {
  // The model's own check that the sources answer the question (rule 3 of the prompt).
  if (raw.trim().toUpperCase().startsWith(NOT_COVERED)) return { text: '', used: [], grounded: false, notCovered: true };
  if (PROMPT_MARKERS.some((re) => re.test(raw))) {
    return {
      text: lang === 'zh' ? '我不能展示我的指令。请直接问关于资料内容的问题。' : 'I cannot share my instructions. Ask me about the material itself.',
      used: [],
      grounded: false,
    };
  }
  let { text } = replaceImpersonation(raw, config, lang);
  const used: number[] = [];
  let invalid = 0;
  text = text.replace(/\[(\d{1,4})\]/g, (m, d: string) => {
    const n = Number(d);
    if (n >= 1 && n <= sourceCount) {
      if (!used.includes(n)) used.push(n);
      return m;
    }
    invalid++;
    return '';
  });
  text = text.replace(/[ \t]+([.,;:!?。，；：！？])/g, '$1').trim();
  if (SAYS_NOT_COVERED.test(text) && used.length === 0) return { text, used, grounded: false, notCovered: true };
  if (used.length === 0 || invalid > 0) {
    const note =
      lang === 'zh'
        ? invalid > 0 ? '（这个回答引用了不存在的来源，已删去这些引用；请把它当作没有资料支持的内容。）' : '（这个回答没有引用任何资料，不能算有资料支持。）'
        : invalid > 0 ? '(This reply cited sources that do not exist; those citations were removed, so treat it as not supported by the sources.)' : '(This reply cites none of the sources, so it is not supported by them.)';
    return { text: `${note}\n\n${text}`, used, grounded: false };
  }
  return { text, used, grounded: true };
}
