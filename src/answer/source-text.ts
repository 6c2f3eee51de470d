import type { SourceKind } from '../corpus/types';

/**
 * A source's lines as an answer shows them (quoted, led with, given to the model). Indexes keep
 * the text as ingested; only what is shown is tidied, line for line, so line locators still hold.
 *
 * - A bullet line (`• `, `◦ `, `▪ `, as Slack writes a list) is a Markdown list item, so it reads
 *   as an item (a step a lead may take) and renders as one on every surface.
 * - In plain text (`kind` text), sentences a scrape glued together ("guests.As") get their space
 *   back, and footnote markers ("labs. [1]The") go: they are not our citation markers and must
 *   not read as them.
 */
export function shownLines(lines: string[], kind: SourceKind): string[] {
  let fence = false;
  return lines.map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      return line;
    }
    if (fence) return line;
    const item = bulletItem(line);
    return kind === 'text' ? unglued(withoutFootnoteMarkers(item)) : item;
  });
}

export function shownText(text: string, kind: SourceKind): string {
  return shownLines(text.split('\n'), kind).join('\n');
}

const BULLET = /^(\s*)[•◦▪‣]\s*(?=\S)/;

/**
 * `• step` as `- step`. A nested bullet (Slack indents them by four spaces, or seven) is four
 * spaces a level, as Feishu's card markdown nests and CommonMark accepts.
 */
function bulletItem(line: string): string {
  const m = BULLET.exec(line);
  if (!m) return line;
  const level = m[1].length === 0 ? 0 : Math.max(1, Math.round(m[1].length / 4));
  return `${'    '.repeat(level)}- ${line.slice(m[0].length)}`;
}

/**
 * A footnote marker `[2]` in prose, with the space before it: after a word's end, punctuation or
 * a space, or glued to a "Notes" heading that opens the notes ("Notes[1] Put railings…"); not an
 * index (`x[2]`), a link (`[2](…)`, `[2]: …`) or a reference (`[text][2]`).
 */
const FOOTNOTE = /(?:(?<=\S) |(?<=^|[\s.,;:!?)"'”’]|\bNotes))\[\d{1,3}\](?![(:[\]])/g;

function withoutFootnoteMarkers(line: string): string {
  return line.replace(FOOTNOTE, (m: string, at: number, whole: string) => {
    const after = whole[at + m.length];
    const wordAfter = after !== undefined && !/[\s.,;:!?)]/.test(after);
    const spaceBefore = !m.startsWith(' ') && (at === 0 || /\s/.test(whole[at - 1]));
    // One space stays between the words it stood between ("labs. [1]The" -> "labs. The").
    return wordAfter && !spaceBefore ? ' ' : '';
  });
}

/**
 * A sentence's end glued to the next sentence's start ("deep.For", "them?After", "1995.My",
 * "choice).As"): a stop after a lowercase word, a number or a closing bracket or quote, before a
 * capitalised word. A token with a path, address or dotted name in it ("java.util.List",
 * "www.Example.com", "e.g.The") is left alone.
 */
const GLUED = /(?<=(?:^|[\s("“‘'])[^\s./\\@_=:]*(?:[A-Za-z0-9]['’]?[a-z]|[0-9%])[)"”’']{0,2}[.?!]["”’')]*)(?=[(“]?[A-Z](?=([a-z'’]*))\1(?![./]\w))/g;

const MONTH = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
/** An essay's dateline run into its first sentence ("January 2015Corporate Development, aka…"). */
const DATELINE = new RegExp(`^(${MONTH} \\d{4}(?:, rev\\. ${MONTH} \\d{4})?)(?=[A-Z])`);

function unglued(line: string): string {
  // The dateline becomes a sentence of its own, so the essay's first sentence can lead without it.
  return line.replace(DATELINE, '$1. ').replace(GLUED, ' ');
}
