import { convert, type FormatCallback } from 'html-to-text';
import type { SourceUnit } from '../types';
import { titleFromName } from './title';

/** Headings become Markdown `#` lines, so the chunker splits on them as it does for Markdown. */
const heading: FormatCallback = (elem, walk, builder) => {
  const level = Number(/^h([1-6])$/.exec(elem.name ?? '')?.[1] ?? 1);
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addInline(`${'#'.repeat(level)} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

const OPTIONS = {
  wordwrap: false as const,
  formatters: { heading },
  selectors: [
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => ({ selector: h, format: 'heading' })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
};

function inlineText(html: string | undefined): string | undefined {
  if (!html) return undefined;
  const text = convert(html, { wordwrap: false }).replace(/\s+/g, ' ').trim();
  return text || undefined;
}

/** An HTML page as readable text with its headings and paragraph breaks; title from <title> or <h1>. */
export function loadHtml(html: string, source: string): SourceUnit {
  const title = inlineText(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]) ?? inlineText(/<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1]);
  const text = convert(html, OPTIONS).replace(/\n{3,}/g, '\n\n').trim();
  return { source, kind: 'html', text, title: title ?? titleFromName(source) };
}
