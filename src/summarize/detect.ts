import { countCjk, hasCjk } from '../text/cjk';
import { splitChatSentences } from '../text/sentences';
import { scrubUrls } from './links';

/**
 * Rule-based detection of decisions, action items and questions in English and Chinese. Each
 * rule looks at one sentence; a sentence that asks something is never a decision or a task.
 */

const NEGATED = /\b(not|n't|never|yet to|haven't|hasn't|undecided)\b[^.]{0,20}\b(decid|agree|settl)|没(有)?(决定|定)|还没定|未(决定|定)|待定|决定不了|没想好/i;

const DECISION_EN = [
  /\bwe(?:'ve| have)? (?:all )?(?:decided|agreed|settled on|concluded)\b/i,
  /\b(?:it's|it is|that's|that is) (?:decided|agreed|settled|final)\b/i,
  /\blet'?s (?:go with|stick with|go ahead with|use|keep|adopt|switch to|try|bring|move|schedule|postpone|skip|drop|merge|ship|meet)\b(?! (?:this|it) again)/i,
  /\b(?:we|I)(?:'ll| will| are going to|'re going to|'m going to| am going to) (?:go with|stick with|use|switch to|adopt|move to|drop|deprecate|keep|link|hold|schedule|postpone|cancel|skip|ship|release|present|be talking about|talk about|explore)\b/i,
  /\b(?:we(?:'re| are)|I'?d|I would) (?:going with|go with)\b/i,
  /^(?:decision|decided|resolution|conclusion|outcome|verdict)\s*[:：-]/i,
  /\b(?:final|the) (?:decision|call) (?:is|was)\b/i,
  /\bthe plan is\b/i,
  /\bgoing forward,? (?:we|all)\b/i,
  /^(?:agreed|approved|settled|merged|done and merged)[.!]*$/i,
  /\bagreed (?:on|to|that we)\b/i,
  /\b(?:has|have|was|were|been|now been) (?:\w+ )?(?:and )?(?:approved|accepted|merged|committed|rejected)\b/i,
  /\b(?:this|that|it) is not a bug\b|\bwon'?t fix\b|\bwontfix\b|\bclosing (?:this|it) as\b/i,
  /\bwon'?t be in the (?:final|next) (?:version|release)\b/i,
  /\b(?:have|has) (?:already )?(?:selected|chosen|picked)\b/i,
];

const DECISION_ZH = [
  /决定/,
  /就这么定/,
  /(?:那就|就)(?:这么|这样)?定了/,
  /敲定|拍板|达成一致|达成共识/,
  /(?:最终|最后)(?:方案|决定|选择|结论|确定)/,
  /结论[是为:：]/,
  /确定(?:了|用|采用|下来|选)/,
  /(?:那就|就)(?:用|按|采用|选)/,
  /同意(?:这个|该|此)?方案/,
];

const ACTION_SELF_EN = /\bI(?:'ll| will| am going to|'m going to| can take| will take|'ll take)\s+(?!be\b|admit\b|say\b|bet\b|assume\b|guess\b|note\b|grant\b|agree\b|see you\b|miss\b|never\b|probably\b|have to say\b)([a-z]+)/i;
const ACTION_SELF_EN_2 = /\b(?:I'?m on it|leave it (?:to|with) me|I can (?:do|take|handle|fix|write|send|look into|prepare|update|check) (?:it|this|that|the)|assign(?:ed)? (?:it |this )?to me)\b/i;
const ACTION_MARK = /(?:^|\s|\[)(?:TODO|To-?do|action items?|AI)\s*[:：\]-]|\bTODO\b|待办/i;
const ACTION_SELF_ZH = /我来|我负责|交给我|我去(?:做|改|修|查|看|跟进|处理|写|提|发|问|联系|整理|确认|准备|更新)|我跟进|我处理|我会(?:去|在|把|尽快|提|修|改|写|发|跟进|处理|整理|更新|确认|准备)/;
const ASK_WORDS_EN = /^[\s,:]{0,3}(?:can you|could you|would you|will you|please|pls|to)\b|^[\s,:]{0,3}(?:will|is going to|takes?|owns?)\b/i;
const ASK_WORDS_ZH = /^[\s,:：，]{0,3}(?:负责|来|跟进|处理|帮忙|看一下|看下|去|请|麻烦)/;
const NAMED_OWNER_ZH = /(?:^|[，,。；;\s由请让交给])([\u4e00-\u9fff]{2,3}?)(?:来)?(?:负责|跟进一下|处理一下)/;
const OWNER_LABEL = /(?:负责人|owner|assignee)\s*[:：]\s*@?([^\s,，;；]+)/i;

const WEEKDAY = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun';
const MONTH = 'jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec';
const DUE_EN = new RegExp(
  `\\b(?:by|before|until|due(?: on| by)?|no later than|deadline(?: is)?:?)\\s+((?:the )?(?:end of (?:the )?(?:day|week|month)|eod|eow|today|tonight|tomorrow|next week|(?:next |this )?(?:${WEEKDAY})[a-z]*|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}(?:/\\d{2,4})?|(?:${MONTH})[a-z]* \\d{1,2}(?:st|nd|rd|th)?|\\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:${MONTH})[a-z]*))`,
  'i',
);
const DUE_EN_BARE = new RegExp(`\\b(today|tonight|tomorrow|this week|next week|(?:next |this )(?:${WEEKDAY})[a-z]*)\\b`, 'i');
const ZH_DATE = '今天|今晚|明天|后天|本周[一二三四五六日天]?|下周[一二三四五六日天]?|周[一二三四五六日天]|星期[一二三四五六日天]|月底|月初|年底|\\d{1,2}月\\d{1,2}[日号]|\\d{4}[-/]\\d{1,2}[-/]\\d{1,2}|\\d{1,2}[/.]\\d{1,2}';
const DUE_ZH = new RegExp(`截止(?:日期|时间)?[为是:：]?\\s*(${ZH_DATE})|(${ZH_DATE})(?:之前|以前|前|截止|完成|搞定|上线|给)`);
const DUE_ZH_BARE = new RegExp(`(${ZH_DATE})`);

// Openings that ask even without a question mark ("does anyone know how to ...").
const QUESTION_START_EN = /^(?:how (?:do|does|can|could|should|to|would)|what(?:'s| is| are| does| do)|why (?:is|does|do|would)|does anyone|do you|anyone (?:know|have|tried)|is there|are there|can (?:someone|anyone|you)|could (?:someone|anyone|you)|has anyone|any (?:idea|thoughts|suggestions))\b/i;
const QUESTION_ZH = /(?:吗|么|呢)[？?]?$|怎么|如何|为什么|为啥|是否|有没有|能不能|可不可以|要不要|谁|哪(?:个|些|里|儿)|多少|几[个天次点]/;

export interface DetectedDecision {
  what: string;
}

export interface DetectedAction {
  /** The owner's name, or undefined when the task was written down without one. */
  owner?: string;
  task: string;
  due?: string;
}

function clean(sentence: string, max = 220): string {
  const s = scrubUrls(sentence).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Sentences worth reading: prose, not code, quoted output or a bare link. */
function proseSentences(text: string): string[] {
  return splitChatSentences(scrubUrls(text))
    .map((x) => x.trim())
    .filter((s) => !/^(?:#>|>|\$ |```|[{}[\]();]+$)/.test(s) && /[A-Za-z\u4e00-\u9fff]{2}/.test(s));
}

export function isQuestionSentence(s: string): boolean {
  const t = s.trim();
  if (/[?？]["'”’)）]*$/.test(t)) return true;
  if (/[?？]\s/.test(t) && t.length < 300) return true;
  return QUESTION_ZH.test(t) && hasCjk(t) && /[吗呢么？?]$/.test(t);
}

/** The sentence that states a decision, if one does. */
export function detectDecision(text: string): DetectedDecision | undefined {
  for (const s of proseSentences(text)) {
    if (isQuestionSentence(s) || NEGATED.test(s)) continue;
    if (DECISION_EN.some((re) => re.test(s)) || DECISION_ZH.some((re) => re.test(s))) return { what: clean(s) };
  }
  return undefined;
}

/** A due date written in the sentence (as written: "by Friday", "周五前"). */
export function detectDue(s: string): string | undefined {
  const en = DUE_EN.exec(s);
  if (en) return en[1];
  const zh = DUE_ZH.exec(s);
  if (zh) return zh[1] ?? zh[2];
  return DUE_EN_BARE.exec(s)?.[1] ?? DUE_ZH_BARE.exec(s)?.[1];
}

/**
 * A task someone took on or was given in this message: "I'll ...", "@Li please ...", "TODO: ...",
 * "我来", "@王五 负责...". The owner is the sender for first-person promises, the named person
 * when someone is asked, else unknown.
 */
export function detectAction(text: string, sender: string, mentions: string[] = []): DetectedAction | undefined {
  for (const s of proseSentences(text)) {
    if (isQuestionSentence(s) && !/\b(?:can|could|would|will) you\b|请|麻烦/.test(s)) continue;
    const label = OWNER_LABEL.exec(s);
    let owner: string | undefined;
    for (const name of mentions) {
      const at = s.indexOf(`@${name}`);
      if (at < 0) continue;
      const after = s.slice(at + name.length + 1);
      if (ASK_WORDS_EN.test(after) || ASK_WORDS_ZH.test(after)) {
        owner = name;
        break;
      }
    }
    if (!owner && label) owner = label[1].replace(/^@/, '');
    const self = ACTION_SELF_EN.test(s) || ACTION_SELF_EN_2.test(s) || ACTION_SELF_ZH.test(s);
    const named = !owner && !self ? NAMED_OWNER_ZH.exec(s) : null;
    if (named && !/^(?:我们|大家|谁来|由谁)/.test(named[1])) owner = named[1];
    const marked = ACTION_MARK.test(s);
    if (!owner && !self && !marked) continue;
    if (isQuestionSentence(s) && !owner) continue;
    return { owner: owner ?? (self ? sender : undefined), task: clean(s), due: detectDue(s) };
  }
  return undefined;
}

/** The first question a message asks, if any. Short interjections ("really?") are not questions. */
export function detectQuestion(text: string): string | undefined {
  for (const s of proseSentences(text)) {
    const words = (s.match(/[A-Za-z]{2,}/g) ?? []).length + countCjk(s) / 2;
    if (words < 3) continue;
    if (isQuestionSentence(s) || (QUESTION_START_EN.test(s) && s.length < 160 && !/[.!]/.test(s))) return clean(s);
  }
  return undefined;
}
