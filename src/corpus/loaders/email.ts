import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { LoadIssue, SourceUnit } from '../types';

/** Lines that start someone else's text: quoted replies, forwards, Outlook and Notes headers. */
const CUT_PATTERNS: RegExp[] = [
  /^\s*-{2,}\s*Original Message\s*-{2,}/i,
  /^\s*-{3,}\s*Forwarded by\b/i,
  /^\s*-{3,}\s*Forwarded message\s*-{3,}/i,
  /^\s*Begin forwarded message:/i,
  /^\s*_{10,}\s*$/,
  /^\s*On\b.{0,200}\bwrote:\s*$/i,
  /^\s*在.{0,120}写道[:：]\s*$/,
  /^\s*From:\s.+$/i, // an Outlook header block inside the body
  /^\s*-{5,}\s*原始邮件\s*-{5,}/,
];

/** A Lotus Notes reply header: `"Name" <addr> on 10/12/2000 09:14:33 AM`. */
const NOTES_HEADER = /\bon\s+\d{1,2}\/\d{1,2}\/\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?\s*$/i;

/** Keep only the author's own words: drop quoted replies, forwarded mail and the signature. */
export function stripQuotedAndSignature(body: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^-- ?$/.test(line)) break;
    if (CUT_PATTERNS.some((re) => re.test(line))) {
      // "From:" only starts a quoted block when followed by Sent/To/Date lines.
      if (/^\s*From:/i.test(line) && !/^\s*(Sent|To|Date|Subject|发送时间|收件人)\s*:/i.test(lines[i + 1] ?? '')) {
        kept.push(line);
        continue;
      }
      break;
    }
    if (NOTES_HEADER.test(line) && /^\s*To:/i.test(lines[i + 1] ?? '')) break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function firstAddress(a: AddressObject | AddressObject[] | undefined): { name?: string; address?: string } {
  const obj = Array.isArray(a) ? a[0] : a;
  const v = obj?.value?.[0];
  return { name: v?.name || undefined, address: v?.address || undefined };
}

function headerText(mail: ParsedMail, name: string): string | undefined {
  const v = mail.headers.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Parse one RFC 822 message into a unit; `locatorFallback` names it when there is no Message-ID. */
export async function parseEmail(
  raw: Buffer | string,
  source: string,
  locatorFallback: string,
): Promise<{ unit?: SourceUnit; authorIds: string[]; issue?: LoadIssue; empty?: boolean }> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  } catch (err) {
    return { authorIds: [], issue: { path: source, message: `broken e-mail: ${(err as Error).message}`, position: locatorFallback } };
  }
  const from = firstAddress(mail.from);
  const xFrom = headerText(mail, 'x-from');
  const text = stripQuotedAndSignature(mail.text ?? '');
  const author = from.name && from.address ? `${from.name} <${from.address}>` : (from.address ?? from.name ?? xFrom);
  const authorIds = [from.address, from.name, xFrom, xFrom?.replace(/\s*<.*$/, '')].filter((x): x is string => Boolean(x));
  if (!text) return { authorIds, empty: true };
  return {
    authorIds,
    unit: {
      source,
      kind: 'email',
      text,
      locator: mail.messageId ?? locatorFallback,
      title: mail.subject || undefined,
      author,
      date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
    },
  };
}

/** Split an mbox into its messages, undoing `>From ` escaping. */
export function splitMbox(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^From \S/.test(line)) {
      if (cur) out.push(cur.join('\n'));
      cur = [];
      continue;
    }
    cur?.push(line.replace(/^>(>*From )/, '$1'));
  }
  if (cur) out.push(cur.join('\n'));
  return out.filter((m) => m.trim() !== '');
}
