import type { SourceUnit } from '../types';
import { titleFromName } from './title';

/** A PDF's text as one unit, pages separated by a blank line; title from its metadata. Throws on a broken or encrypted file. */
export async function loadPdf(buf: Uint8Array, source: string): Promise<SourceUnit> {
  // pdf-parse pulls in pdf.js; load it only when a PDF shows up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PDFParse } = require('pdf-parse') as typeof import('pdf-parse');
  const parser = new PDFParse({ data: new Uint8Array(buf) });
  try {
    let result: Awaited<ReturnType<typeof parser.getText>>;
    try {
      result = await parser.getText();
    } catch (err) {
      if ((err as Error).name === 'PasswordException') throw new Error('encrypted PDF (needs a password)', { cause: err });
      throw new Error(`cannot read PDF: ${(err as Error).message}`, { cause: err });
    }
    let title: string | undefined;
    try {
      const t = ((await parser.getInfo()).info as { Title?: unknown } | undefined)?.Title;
      title = typeof t === 'string' && t.trim() ? t.trim() : undefined;
    } catch {
      title = undefined; // metadata is optional
    }
    const text = result.pages
      .map((p) => p.text.trim())
      .filter(Boolean)
      .join('\n\n');
    return { source, kind: 'pdf', text, title: title ?? titleFromName(source) };
  } finally {
    await parser.destroy();
  }
}
