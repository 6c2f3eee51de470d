import { chatCitationName } from '../../answer/citation-name';
import type { Answer, Citation } from '../../answer/types';
import { slackDaySource } from '../../corpus/slack-day';
import { linkLabelMisleads, mapOutsideCode, MARKDOWN_LINK, SAFE_URL, stripControl, unquoteCode } from '../../answer/markup';
import { pronounOf, voiceLabel, type Pronoun } from '../../chat/i18n';
import type { Reply } from '../../chat/types';

export const SECTION_LIMIT = 3000;
export const BLOCK_LIMIT = 50;
const CONTEXT_ELEMENTS = 10;

/** Block Kit blocks, loosely typed: the Web API validates them. */
export type Block = Record<string, unknown>;

export interface SlackMessage {
  /** Plain-text fallback for notifications and clients without blocks. */
  text: string;
  blocks: Block[];
}

export const ACTION_UP = 'understudy_feedback_up';
export const ACTION_DOWN = 'understudy_feedback_down';
export const ACTION_VOICE = 'understudy_feedback_voice';
export const CORRECTION_VIEW = 'understudy_correction';

/** Slack's three control characters as entities: untrusted text can then never form `<!channel>`, `<@U…>` or a link. */
export function escapeMrkdwn(text: string): string {
  // A bare & is shown as written (and keeps URLs intact); only one that would read as an entity is escaped.
  return text.replace(/&(?=(?:amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackLink(label: string, url: string): string {
  if (!SAFE_URL.test(url)) return escapeMrkdwn(`${label} (${url})`);
  // SAFE_URL holds no < > or |, so the address cannot end the link early.
  return linkLabelMisleads(label, url) ? `<${url}>` : `<${url}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

/**
 * CommonMark-ish text to Slack mrkdwn: bold, headings, links, list items. Everything else is
 * escaped, so text from documents or models shows as written and can never ping a channel or a
 * person.
 */
export function toMrkdwn(text: string): string {
  const links: string[] = [];
  const prose = (part: string): string =>
    escapeMrkdwn(
      part.replace(MARKDOWN_LINK, (_m, label: string, url: string) => {
        links.push(slackLink(label, url));
        return `\u0000${links.length - 1}\u0000`;
      }),
    )
      // A quote marker at the start of a line stays a quote.
      .replace(/^((?:&gt; ?)+)/gm, (m) => m.replace(/&gt;/g, '>'))
      .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
      .replace(/^(> ?)?#{1,6}\s+(.+)$/gm, '$1*$2*')
      // mrkdwn has no lists: a Markdown item shows as a bullet, a nested one as a hollow bullet.
      .replace(/^((?:> ?)*)( *)[-*+] (?=\S)(?![-*_ ]*$)/gm, (_m, q: string, indent: string) => `${q}${indent}${indent ? '◦' : '•'} `)
      .replace(/\u0000(\d+)\u0000/g, (_m, i: string) => links[Number(i)]);
  // Code is escaped but not converted; Slack shows a fence's language as a line of code, so it goes.
  const code = (part: string): string => escapeMrkdwn(part).replace(/^\s*(```|~~~)[^\n]*$/gm, '```');
  return mapOutsideCode(unquoteCode(text.replace(/\u0000/g, '')), prose, code);
}

/** Split text into pieces under `limit`, at paragraph, then line, then word boundaries. */
export function splitText(text: string, limit = SECTION_LIMIT): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = window.lastIndexOf('\n\n');
    if (cut < limit / 2) cut = window.lastIndexOf('\n');
    if (cut < limit / 2) cut = window.lastIndexOf(' ');
    if (cut <= 0) cut = limit;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

function citationText(c: Citation): string {
  const chat = c.kind === 'slack' || c.kind === 'feishu';
  const where = chat ? chatCitationName(c) : c.source.split('/').pop() ?? c.source;
  if (c.url && SAFE_URL.test(c.url)) return `[${c.n}] ${slackLink(where, c.url)}`;
  // A message of an export without a workspace URL: its channel and day say more than a ts.
  if (chat && c.title && slackDaySource(c.source)) return `[${c.n}] ${escapeMrkdwn(where)}`;
  return `[${c.n}] \`${escapeMrkdwn(c.source)}\` ${escapeMrkdwn(c.locator)}`;
}

function feedbackValue(answer: Answer, conversation: string): string {
  // The conversation key goes last so a cut keeps the avatar, language and pronoun (JSON stays parseable only if short: it is).
  return JSON.stringify({ a: answer.avatar, l: answer.lang, p: answer.pronoun, c: conversation }).slice(0, 2000);
}

/** The answer as one or more Slack messages (50 blocks each), disclosure first and label last. */
export function renderAnswer(answer: Answer, conversation: string): SlackMessage[] {
  const blocks: Block[] = [];
  if (answer.firstContact) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `_${toMrkdwn(answer.disclosure)}_` } });
  for (const part of splitText(toMrkdwn(answer.text))) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: part } });
  const cites = answer.citations.map(citationText);
  for (let i = 0; i < cites.length; i += CONTEXT_ELEMENTS) {
    blocks.push({ type: 'context', elements: cites.slice(i, i + CONTEXT_ELEMENTS).map((t) => ({ type: 'mrkdwn', text: t.slice(0, 3000) })) });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: toMrkdwn(answer.label) }] });
  const value = feedbackValue(answer, conversation);
  blocks.push({
    type: 'actions',
    block_id: 'understudy_feedback',
    elements: [
      { type: 'button', action_id: ACTION_UP, text: { type: 'plain_text', text: '👍', emoji: true }, value },
      { type: 'button', action_id: ACTION_DOWN, text: { type: 'plain_text', text: '👎', emoji: true }, value },
      { type: 'button', action_id: ACTION_VOICE, text: { type: 'plain_text', text: voiceLabel(answer.lang, answer.pronoun, true) }, value },
    ],
  });
  // The notification text is parsed for mentions too.
  const fallback = escapeMrkdwn(`${answer.firstContact ? answer.disclosure : answer.label}\n${answer.text}`.slice(0, 3900));
  const messages: SlackMessage[] = [];
  for (let i = 0; i < blocks.length; i += BLOCK_LIMIT) messages.push({ text: fallback, blocks: blocks.slice(i, i + BLOCK_LIMIT) });
  return messages;
}

/**
 * An answer still being written, shown with chat.update: the text so far, escaped as an answer's
 * is, and a pencil where the label and sources will be. Never more than one message.
 */
export function renderDraft(text: string): SlackMessage {
  const parts = splitText(toMrkdwn(text)).slice(0, BLOCK_LIMIT - 1);
  return {
    text: escapeMrkdwn(text.slice(0, 3900)),
    blocks: [...parts.map((p) => ({ type: 'section', text: { type: 'mrkdwn', text: p } })), { type: 'context', elements: [{ type: 'mrkdwn', text: '✍️ …' }] }],
  };
}

/** An unfinished link (`[label](http…`) or entity (`&lt`) at the end: it waits for more text. */
const UNFINISHED = /\[[^\]\n]*(?:\](?:\([^)\s]*)?)?$|&[a-z0-9#]{0,5}$/i;

/**
 * What of a draft can go to Slack's streaming API now, as its markdown: escaped like mrkdwn (no
 * mention, broadcast or link syntax survives), links shown as `label (url)`. The stream only
 * appends, so an unfinished link or entity at the end is held back until it is complete, and a
 * longer draft's rendering extends a shorter one's.
 */
export function streamableDraft(text: string): string {
  const tail = UNFINISHED.exec(text);
  const stable = stripControl(tail ? text.slice(0, tail.index) : text);
  return escapeMrkdwn(stable.replace(MARKDOWN_LINK, (_m, label: string, url: string) => `${label.replace(/[[\]]/g, '')} (${url})`));
}

export const ACTION_CONSENT_APPROVE = 'understudy_consent_approve';
export const ACTION_CONSENT_DECLINE = 'understudy_consent_decline';

export function renderReply(reply: Reply, conversation: string): SlackMessage[] {
  if (reply.kind === 'answer') return renderAnswer(reply.answer, conversation);
  if (reply.kind === 'draft') return [renderDraft(reply.text)];
  if (reply.kind === 'consent') {
    const zh = reply.lang === 'zh';
    return [
      {
        text: escapeMrkdwn(reply.text.slice(0, 3900)),
        blocks: [
          ...splitText(toMrkdwn(reply.text)).map((p) => ({ type: 'section', text: { type: 'mrkdwn', text: p } })),
          {
            type: 'actions',
            block_id: 'understudy_consent',
            elements: [
              { type: 'button', style: 'primary', action_id: ACTION_CONSENT_APPROVE, value: reply.id, text: { type: 'plain_text', text: zh ? '同意' : 'Approve' } },
              { type: 'button', style: 'danger', action_id: ACTION_CONSENT_DECLINE, value: reply.id, text: { type: 'plain_text', text: zh ? '拒绝' : 'Decline' } },
            ],
          },
        ],
      },
    ];
  }
  const text = reply.kind === 'status' ? `_${escapeMrkdwn(reply.text)}_` : toMrkdwn(reply.text);
  const parts = splitText(text);
  return [{ text: escapeMrkdwn(reply.text.slice(0, 3900)), blocks: parts.slice(0, BLOCK_LIMIT).map((p) => ({ type: 'section', text: { type: 'mrkdwn', text: p } })) }];
}

/** The modal opened by "That's not how they'd say it". */
export function correctionModal(privateMetadata: string, lang: 'zh' | 'en', pronoun?: Pronoun): Block {
  const who = pronounOf(lang, pronoun);
  return {
    type: 'modal',
    callback_id: CORRECTION_VIEW,
    private_metadata: privateMetadata.slice(0, 3000),
    title: { type: 'plain_text', text: lang === 'zh' ? '纠正这个回答' : 'Correct this answer' },
    submit: { type: 'plain_text', text: lang === 'zh' ? '提交' : 'Submit' },
    close: { type: 'plain_text', text: lang === 'zh' ? '取消' : 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'correction',
        label: { type: 'plain_text', text: lang === 'zh' ? `${who}会怎么说？` : `How would ${who} have said it?` },
        element: { type: 'plain_text_input', action_id: 'text', multiline: true, max_length: 2000 },
      },
    ],
  };
}
