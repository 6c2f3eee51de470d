/**
 * Separating an e-mail author's own words from what they quote or forward, and from their
 * signature. Works on plain-text bodies as Outlook, Lotus Notes, Gmail, Apple Mail and Chinese
 * clients write them.
 */

/** Lines after which everything is someone else's message. */
const SEPARATORS: RegExp[] = [
  /^\s*-{2,}\s*(Original|Forwarded)\s+\w+\s*-{2,}/i, // -----Original Message----- / Appointment / Forwarded message
  /^\s*-{3,}\s*Forwarded by\b/i, // Lotus Notes
  /^\s*Begin forwarded message:/i, // Apple Mail
  /^\s*-{3,}\s*Inline attachment follows\s*-{3,}/i,
  /^\s*-{3,}\s*(原始邮件|转发邮件|转发的邮件)\s*-{3,}/,
];

/** A header line of a quoted or forwarded message, as mail clients lay them out in the body. */
const FROM_LINE = /^\s*\*?(From|Sent|发件人|发送时间)\s*\*?\s*[:：]/i;
const HEADER_LINE = /^\s*\*?(From|Sent|Date|To|Cc|Subject|Importance|Sensitivity|When|Where|发件人|发送时间|时间|日期|收件人|抄送|主题)\s*\*?\s*[:：]/i;
/** Lotus Notes puts `name` then `10/12/2000 09:14 AM` above a `To:` line, or all on one line. */
const NOTES_DATE = /\b\d{1,2}\/\d{1,2}\/\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?(\s+[A-Z]{3})?\s*$/i;
const NOTES_INLINE = /\b\d{1,2}\/\d{1,2}\/\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?\s+To:/i;
/** `On Mon, 10 Nov 2025 at 18:00, Liu Yang <liu@x> wrote:` (sometimes over two lines) and its Chinese form. */
const ATTRIBUTION_END = /(wrote|写道)\s*[:：]\s*$/i;
const ATTRIBUTION_START = /^\s*(On\b|在)/i;

const VALEDICTION = /^\s*(thanks|thank you|thanks again|many thanks|thx|regards|best regards|kind regards|warm regards|best wishes|best|cheers|take care|talk soon|sincerely|yours|yours truly|all the best|br|谢谢|多谢|感谢|此致|敬礼|祝好|顺祝商祺)[\s,.!，。！]*$/i;
const SENT_FROM = /^\s*(Sent from my \S+|Sent from (Mail|Outlook) for \S+|Get Outlook for \S+|发自我的\S+)/i;

function nextNonEmpty(lines: string[], from: number): number {
  let i = from;
  while (i < lines.length && lines[i].trim() === '') i++;
  return i;
}

/** Whether a quoted or forwarded message starts at line `i`; returns the first line of it, or -1. */
function quoteStart(lines: string[], i: number): number {
  const line = lines[i];
  if (SEPARATORS.some((re) => re.test(line))) return i;
  // An Outlook header block: From: (or Sent: when From: got lost) followed by more headers within three lines.
  if (FROM_LINE.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_LINE.test(l))) return i;
  // A rule of underscores right above such a block.
  if (/^\s*_{10,}\s*$/.test(line) && FROM_LINE.test(lines[nextNonEmpty(lines, i + 1)] ?? '')) return i;
  if (NOTES_INLINE.test(line)) return i;
  if (NOTES_DATE.test(line) && /^\s*To:/i.test(lines[nextNonEmpty(lines, i + 1)] ?? '')) {
    // The sender's name usually sits on the line above the date.
    return i > 0 && lines[i - 1].trim() !== '' && lines[i - 1].length < 80 ? i - 1 : i;
  }
  return -1;
}

/** Number of lines an `On ... wrote:` attribution takes at line `i` (0 when there is none). */
function attributionLength(lines: string[], i: number): number {
  // Without "On"/"在", only a line naming an address or a time is an attribution ("he wrote:" is not).
  if (ATTRIBUTION_END.test(lines[i]) && lines[i].length < 250 && (ATTRIBUTION_START.test(lines[i]) || /@|\d{1,2}:\d{2}/.test(lines[i]))) return 1;
  if (ATTRIBUTION_START.test(lines[i]) && ATTRIBUTION_END.test(lines[i + 1] ?? '') && (lines[i] + lines[i + 1]).length < 250) return 2;
  return 0;
}

/** A short line that belongs in a signature: contact details, a name, a title or a company. */
function signatureLike(line: string): boolean {
  const t = line.trim();
  if (t === '') return true;
  if (t.length > 60) return false;
  if (/[\d@]|https?:|www\./i.test(t)) return true;
  if (/^[\p{Script=Han}\s|·•,，、()（）/-]{1,30}$/u.test(t)) return true;
  return /^[-–—~]*\s*[A-Z][\w.'&-]*,?(\s+([A-Z&|/,-]|[A-Z][\w.'&-]*,?|of|and|for)){0,6}\s*$/.test(t);
}

/** Whether a line is only the author's name (or first name), as a sign-off. */
function nameOnly(line: string, names: Set<string>): boolean {
  const t = line.trim().replace(/^[-–—~]+\s*/, '');
  if (t === '' || t.length > 40) return false;
  if (names.has(t.toLowerCase())) return true;
  const words = t.split(/\s+/);
  if (words.length > 4) return false;
  let hit = false;
  for (const w of words) {
    const k = w.replace(/[.,]/g, '').toLowerCase();
    if (names.has(k)) hit = true;
    else if (!/^[a-z]$/.test(k)) return false; // only initials may sit beside the name
  }
  return hit;
}

/** Words of the author's names worth recognising in a sign-off. */
export function signOffNames(authorNames: string[]): Set<string> {
  const out = new Set<string>();
  for (const n of authorNames) {
    const clean = n.replace(/<[^>]*>|\([^)]*\)|\S+@\S+/g, ' ').trim();
    if (!clean) continue;
    out.add(clean.toLowerCase());
    // Chinese colleagues sign with the given name: 张建国 signs 建国.
    if (/^\p{Script=Han}{3,4}$/u.test(clean)) out.add(clean.slice(-2));
    for (const w of clean.split(/[\s,]+/)) {
      const k = w.replace(/\./g, '').toLowerCase();
      if (k.length >= 2) out.add(k);
    }
  }
  return out;
}

/** Drop a trailing sign-off block (`Thanks,\nPhillip\n713-853-7041`), keeping the text if nothing else would remain. */
export function stripSignOff(text: string, names: Set<string>): string {
  const lines = text.split('\n').filter((l) => !SENT_FROM.test(l));
  const nonEmpty = lines.map((l, i) => (l.trim() ? i : -1)).filter((i) => i >= 0);
  const window = nonEmpty.slice(-8);
  for (const k of window) {
    if (!VALEDICTION.test(lines[k]) && !nameOnly(lines[k], names)) continue;
    if (!lines.slice(k + 1).every(signatureLike)) continue;
    const kept = lines.slice(0, k).join('\n').trim();
    if (kept) return kept;
    break;
  }
  return lines.join('\n').trim();
}

/** Quoted text made readable as context: header noise, separators and `>` marks removed. */
function quotedContext(lines: string[]): string {
  return lines
    .map((l) => l.replace(/^\s*(>\s?)+/, ''))
    .filter((l) => !SEPARATORS.some((re) => re.test(l)) && !/^\s*_{10,}\s*$/.test(l))
    .filter((l) => !HEADER_LINE.test(l) || /^\s*\*?(From|Subject|发件人|主题)\b/i.test(l))
    .map((l) => l.replace(/\[mailto:[^\]]*\]|<mailto:[^>]*>/gi, '').replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

export interface SplitBody {
  /** The author's own words, without quotes, forwards or signature. */
  own: string;
  /** What they replied to or forwarded, cleaned for use as context. */
  quoted: string;
}

/** Split a plain-text body into the author's own words and the message they quote. */
export function splitOwnText(body: string, authorNames: string[] = []): SplitBody {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const own: string[] = [];
  const quoted: string[] = [];
  let signature = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const start = quoteStart(lines, i);
    if (start >= 0) {
      if (start < i && !signature) own.pop();
      quoted.push(...lines.slice(start));
      break;
    }
    const attribution = attributionLength(lines, i);
    if (attribution > 0) {
      const after = nextNonEmpty(lines, i + attribution);
      if (!/^\s*>/.test(lines[after] ?? '')) {
        // Top-posted reply: the rest is the earlier message, unmarked.
        quoted.push(...lines.slice(i + attribution));
        break;
      }
      // Interleaved reply: skip the attribution, keep answering lines between the quotes.
      quoted.push(lines[i]);
      i += attribution - 1;
      continue;
    }
    if (/^\s*>/.test(line)) {
      quoted.push(line);
      continue;
    }
    if (/^-- ?$/.test(line)) signature = true; // RFC 3676 signature separator
    if (!signature) own.push(line);
  }
  const ownText = own.join('\n').replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
  return { own: stripSignOff(ownText, signOffNames(authorNames)), quoted: quotedContext(quoted) };
}
