import { chatCitationName } from '../../answer/citation-name';
import type { Answer, Citation } from '../../answer/types';
import { linkLabelMisleads, mapOutsideCode, MARKDOWN_LINK, SAFE_URL, unquoteCode } from '../../answer/markup';
import type { Lang } from '../../text/lang';
import { pronounOf, voiceLabel, type Pronoun } from '../../chat/i18n';
import type { Reply } from '../../chat/types';

/** Feishu's card limit is 30 KB of JSON; stay well under it, and keep each text element readable. */
export const CARD_BYTES = 24_000;
export const ELEMENT_BYTES = 6_000;

/** The button values we own start with this; others belong to other features or apps. */
export const FEEDBACK_ACTION = 'understudy_feedback';
export const CORRECTION_ACTION = 'understudy_correction';
/** Consent buttons: the core's actions (router.actions), with the request id as their value. */
export const CONSENT_APPROVE = 'understudy_consent_approve';
export const CONSENT_DECLINE = 'understudy_consent_decline';

export type Card = Record<string, unknown>;
type Element = Record<string, unknown>;

export interface FeedbackValue {
  k: typeof FEEDBACK_ACTION;
  /** up | down | voice */
  v: 'up' | 'down' | 'voice';
  /** avatar slug */
  a: string;
  /** conversation key */
  c: string;
  /** language of the answer, for the thank-you */
  l: 'zh' | 'en';
}

function bytes(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/**
 * Angle brackets as entities: in card markdown `<at id=all></at>` pings everyone and `<font>`,
 * `<link>` and friends are live, so untrusted text may carry none of them.
 */
export function escapeLarkMarkdown(text: string): string {
  return text.replace(/</g, '&#60;').replace(/>/g, '&#62;');
}

/**
 * Inside code, a placeholder such as `/avatar use <handle>` reads better as written, so only
 * what starts a tag Feishu acts on (or any closing tag) is escaped there.
 */
const LIVE_TAG = /<(?=\/|(?:at|font|a|link|text_tag|person|local_datetime|number_tag|img|br|hr|div|span|p|u|b|i|s|del|em|strong|code|pre|table|button|x-[a-z]+)[\s>/])/gi;

function escapeOutsideCode(text: string): string {
  return text
    .split(/(```[\s\S]*?(?:```|$)|`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(LIVE_TAG, '&#60;') : escapeLarkMarkdown(part)))
    .join('');
}

function larkLink(label: string, url: string): string {
  const safeLabel = escapeLarkMarkdown(label).replace(/[[\]]/g, '');
  if (!SAFE_URL.test(url)) return `${safeLabel} (${escapeLarkMarkdown(url)})`;
  return linkLabelMisleads(label, url) ? `[${url}](${url})` : `[${safeLabel}](${url})`;
}

/**
 * CommonMark-ish text to Feishu card markdown: headings become bold lines, links are kept only
 * when they are what they say, and every tag from documents or models is shown as text.
 */
export function toLarkMarkdown(text: string): string {
  const links: string[] = [];
  const prose = (part: string): string =>
    escapeOutsideCode(
      part.replace(MARKDOWN_LINK, (_m, label: string, url: string) => {
        links.push(larkLink(label, url));
        return `\u0000${links.length - 1}\u0000`;
      }),
    )
      // A quote marker at the start of a line stays a quote.
      .replace(/^((?:&#62; ?)+)/gm, (m) => m.replace(/&#62;/g, '>'))
      .replace(/^(> ?)?#{1,6}\s+(.+)$/gm, '$1**$2**')
      .replace(/\u0000(\d+)\u0000/g, (_m, i: string) => links[Number(i)]);
  const code = (part: string): string => part.replace(LIVE_TAG, '&#60;');
  return mapOutsideCode(unquoteCode(text.replace(/\u0000/g, '')), prose, code);
}

/** Split text into pieces of at most `limit` UTF-8 bytes, at paragraph, line, then word boundaries. */
export function splitBytes(text: string, limit = ELEMENT_BYTES): string[] {
  const out: string[] = [];
  let rest = text;
  while (bytes(rest) > limit) {
    // The longest prefix within the byte budget (CJK is three bytes a character).
    let end = Math.min(rest.length, limit);
    while (end > 0 && bytes(rest.slice(0, end)) > limit) end = Math.floor(end * 0.9);
    const window = rest.slice(0, end);
    let cut = window.lastIndexOf('\n\n');
    if (cut < end / 2) cut = window.lastIndexOf('\n');
    if (cut < end / 2) cut = Math.max(window.lastIndexOf(' '), window.lastIndexOf('。'));
    if (cut < end / 2) cut = end;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

function citationLine(c: Citation): string {
  const name = c.kind === 'slack' || c.kind === 'feishu' ? chatCitationName(c) : (c.title ?? c.source.split('/').pop() ?? c.source);
  const where = c.locator ? ` · ${c.locator}` : '';
  return c.url && SAFE_URL.test(c.url) ? `[${c.n}] ${larkLink(name, c.url)}${escapeLarkMarkdown(where)}` : `[${c.n}] ${escapeLarkMarkdown(`${name} (${c.source})${where}`)}`;
}

function markdown(content: string): Element {
  return { tag: 'markdown', content };
}

function header(title: string, template = 'blue'): Element {
  return { title: { tag: 'plain_text', content: title.slice(0, 200) }, template };
}

function button(text: string, value: FeedbackValue, type = 'default'): Element {
  return { tag: 'button', text: { tag: 'plain_text', content: text }, type, value };
}

const CONFIG = { wide_screen_mode: true, update_multi: true };

/**
 * An answer as one or more interactive cards: the label as the header of each, the disclosure
 * on first contact, the text, a sources section, and the feedback buttons on the last card.
 */
export function renderAnswer(answer: Answer, conversation: string): Card[] {
  const zh = answer.lang === 'zh';
  const body: Element[] = [];
  if (answer.firstContact) body.push(markdown(`*${escapeLarkMarkdown(answer.disclosure)}*`));
  for (const part of splitBytes(toLarkMarkdown(answer.text))) body.push(markdown(part));
  if (answer.citations.length > 0) {
    body.push({ tag: 'hr' });
    const lines = answer.citations.map(citationLine);
    const parts = splitBytes(`**${zh ? '来源' : 'Sources'}**\n${lines.join('\n')}`);
    for (const p of parts) body.push(markdown(p));
  }
  const value = (v: FeedbackValue['v']): FeedbackValue => ({ k: FEEDBACK_ACTION, v, a: answer.avatar, c: conversation.slice(0, 500), l: answer.lang });
  const tail: Element[] = [
    { tag: 'note', elements: [{ tag: 'plain_text', content: answer.label }] },
    {
      tag: 'action',
      actions: [button('👍', value('up')), button('👎', value('down')), button(voiceLabel(answer.lang, answer.pronoun), value('voice'))],
    },
  ];
  const cards: Card[] = [];
  let current: Element[] = [];
  const budget = CARD_BYTES - bytes(tail) - bytes(header(answer.label)) - 200;
  for (const el of body) {
    if (current.length > 0 && bytes(current) + bytes(el) > budget) {
      cards.push({ config: CONFIG, header: header(answer.label), elements: [...current, tail[0]] });
      current = [];
    }
    current.push(el);
  }
  cards.push({ config: CONFIG, header: header(answer.label), elements: [...current, ...tail] });
  return cards;
}

/**
 * An answer still being written, for the thinking card: the text so far, escaped as an answer's
 * is, in one card (a long draft shows its start and an ellipsis), and a pencil where the label
 * and sources will be.
 */
export function renderDraft(text: string): Card {
  const parts = splitBytes(toLarkMarkdown(text));
  const shown: Element[] = [];
  let size = 0;
  for (const p of parts) {
    if (size + bytes(p) > CARD_BYTES - 1_000) {
      shown.push(markdown('…'));
      break;
    }
    shown.push(markdown(p));
    size += bytes(p);
  }
  return { config: CONFIG, elements: [...shown, { tag: 'note', elements: [{ tag: 'plain_text', content: '✍️ …' }] }] };
}

/** A notice or status as cards (cards, so that a status placeholder can be patched into an answer). */
export function renderReply(reply: Reply, conversation: string): Card[] {
  if (reply.kind === 'answer') return renderAnswer(reply.answer, conversation);
  if (reply.kind === 'draft') return [renderDraft(reply.text)];
  if (reply.kind === 'consent') {
    const zh = reply.lang === 'zh';
    const buttons = [
      { tag: 'button', text: { tag: 'plain_text', content: zh ? '同意' : 'Approve' }, type: 'primary', value: { k: CONSENT_APPROVE, v: reply.id, l: reply.lang } },
      { tag: 'button', text: { tag: 'plain_text', content: zh ? '拒绝' : 'Decline' }, type: 'danger', value: { k: CONSENT_DECLINE, v: reply.id, l: reply.lang } },
    ];
    const parts = splitBytes(toLarkMarkdown(reply.text)).slice(0, 3);
    return [{ config: CONFIG, header: header(zh ? '数字分身授权请求' : 'Digital avatar: consent request', 'orange'), elements: [...parts.map(markdown), { tag: 'action', actions: buttons }] }];
  }
  const text = reply.kind === 'status' ? `⏳ ${escapeLarkMarkdown(reply.text)}` : toLarkMarkdown(reply.text);
  const parts = splitBytes(text);
  const cards: Card[] = [];
  for (let i = 0; i < parts.length; i += 3) cards.push({ config: CONFIG, elements: parts.slice(i, i + 3).map(markdown) });
  return cards;
}

/** A form asking how the person would have said it; its submit button comes back as a card action. */
export function correctionCard(value: { a: string; c: string; r?: string }, lang: Lang, pronoun?: Pronoun): Card {
  const zh = lang === 'zh';
  const who = pronounOf(lang, pronoun);
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: header(zh ? '纠正这个回答' : 'Correct this answer', 'orange'),
    body: {
      elements: [
        {
          tag: 'form',
          name: 'correction_form',
          elements: [
            {
              tag: 'input',
              name: 'correction',
              input_type: 'multiline_text',
              max_length: 1000,
              placeholder: { tag: 'plain_text', content: zh ? `${who}会怎么说？` : `How would ${who} have said it?` },
            },
            {
              tag: 'button',
              name: 'submit',
              text: { tag: 'plain_text', content: zh ? '提交' : 'Submit' },
              type: 'primary',
              form_action_type: 'submit',
              behaviors: [{ type: 'callback', value: { k: CORRECTION_ACTION, ...value } }],
            },
          ],
        },
      ],
    },
  };
}

/** A card in a callback response, replacing the clicked card's content. */
export function plainCard(text: string): Card {
  return { config: CONFIG, elements: [markdown(text)] };
}
