import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { LoadResult, SourceUnit } from '../types';
import { authorMatcher } from './author-filter';
import { splitOwnText } from './email-strip';

/** How much of a quoted or forwarded message is kept as context. */
const CONTEXT_CHARS = 600;

/**
 * A person's name as mail headers give it, made readable: `Allen, Phillip K. </O=ENRON/...>`
 * becomes `Phillip K. Allen`.
 */
export function personName(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let n = raw
    .replace(/<[^>]*>|\[mailto:[^\]]*\]/gi, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  const lastFirst = /^([^,@]+),\s*([^,@]+)$/.exec(n);
  if (lastFirst) n = `${lastFirst[2].trim()} ${lastFirst[1].trim()}`;
  return n || undefined;
}

function firstAddress(a: AddressObject | AddressObject[] | undefined): { name?: string; address?: string } {
  const v = (Array.isArray(a) ? a[0] : a)?.value?.[0];
  return { name: v?.name || undefined, address: v?.address || undefined };
}

function header(mail: ParsedMail, name: string): string | undefined {
  const v = mail.headers.get(name);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

export interface ParsedEmail {
  unit?: SourceUnit;
  /** Every identity of the sender, for the author filter. */
  authorIds: string[];
  /** Set when the message holds no words of the sender's own (a bare forward). */
  noOwnText?: boolean;
  error?: string;
}

/** Parse one RFC 822 message; `locatorFallback` names it when it has no Message-ID. */
export async function parseEmail(raw: Buffer | string, source: string, locatorFallback: string): Promise<ParsedEmail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  } catch (err) {
    return { authorIds: [], error: `broken e-mail: ${(err as Error).message}` };
  }
  const from = firstAddress(mail.from);
  const xFrom = header(mail, 'x-from');
  const name = personName(from.name) ?? personName(xFrom);
  const author = name && from.address ? `${name} <${from.address}>` : (from.address ?? name);
  const authorIds = [from.address, from.name, name, xFrom, personName(xFrom)].filter((x): x is string => Boolean(x));
  const { own, quoted } = splitOwnText(mail.text ?? '', [name, from.name, personName(xFrom)].filter((x): x is string => Boolean(x)));
  if (!own) return { authorIds, noOwnText: true };
  const unit: SourceUnit = {
    source,
    kind: 'email',
    text: own,
    locator: mail.messageId ?? locatorFallback,
    title: mail.subject?.trim() || undefined,
    author,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
  };
  if (quoted) unit.context = quoted.length > CONTEXT_CHARS ? `${quoted.slice(0, CONTEXT_CHARS)}…` : quoted;
  return { unit, authorIds };
}

/** `From alice@example.com Thu Jan  1 00:00:00 2015`: the sender and a time stamp. */
const MBOX_FROM_LINE = /^From \S+.*\d{1,2}:\d{2}.*\d{4}/;

/**
 * Split an mbox into its messages, undoing `>From ` escaping. A `From ` line separates messages
 * when it follows a blank line (or starts the file) and carries a time stamp or has a header
 * right below it. Writers that do not escape body lines leave "From what I saw..." paragraphs
 * unescaped, and those lines have neither.
 */
export function splitMbox(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let cur: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const headerBelow = /^[!-9;-~]+:/.test(lines[i + 1] ?? '');
    if (/^From \S/.test(line) && (MBOX_FROM_LINE.test(line) || headerBelow) && (i === 0 || lines[i - 1] === '' || headerBelow)) {
      if (cur) out.push(cur.join('\n'));
      cur = [];
      continue;
    }
    (cur ??= []).push(line.replace(/^>(>*From )/, '$1'));
  }
  if (cur) out.push(cur.join('\n'));
  return out.filter((m) => m.trim() !== '');
}

/** One unit per message with words of the sender's own; `author` keeps only that person's. */
export async function loadEmails(raws: (string | Buffer)[], source: string, opts: { author?: string | string[]; mbox: boolean }): Promise<LoadResult> {
  const result: LoadResult = { units: [], skipped: [], errors: [] };
  const matches = authorMatcher(opts.author);
  for (let i = 0; i < raws.length; i++) {
    const where = opts.mbox ? `${source}#${i + 1}` : source;
    const parsed = await parseEmail(raws[i], source, opts.mbox ? `mbox#${i + 1}` : source);
    if (parsed.error) {
      result.errors.push({ path: source, message: `${where}: ${parsed.error}`, position: opts.mbox ? `message ${i + 1}` : undefined });
      continue;
    }
    if (matches && !matches(...parsed.authorIds)) continue;
    if (parsed.noOwnText) result.skipped.push({ path: where, reason: "forward or quote only: no text of the sender's own" });
    if (parsed.unit) result.units.push(parsed.unit);
  }
  return result;
}
