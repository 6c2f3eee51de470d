import { unzipSync, strFromU8 } from 'fflate';
import mammoth from 'mammoth';
import type { SourceUnit } from '../types';
import { titleFromName } from './title';

/** The title in docProps/core.xml, if the document has one. */
function coreTitle(buf: Uint8Array): string | undefined {
  try {
    const core = unzipSync(buf, { filter: (f) => f.name === 'docProps/core.xml' })['docProps/core.xml'];
    const m = core && /<dc:title>([^<]*)<\/dc:title>/.exec(strFromU8(core));
    const t = m?.[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

/** A Word document's text as one unit. Title: document properties, else a short first paragraph, else the file name. */
export async function loadDocx(buf: Buffer, source: string): Promise<SourceUnit> {
  let result: { value: string };
  try {
    result = await mammoth.extractRawText({ buffer: buf });
  } catch (err) {
    throw new Error(`cannot read DOCX: ${(err as Error).message}`, { cause: err });
  }
  const text = result.value.replace(/\r\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  const first = text.split('\n').find((l) => l.trim())?.trim();
  return { source, kind: 'docx', text, title: coreTitle(buf) ?? (first && first.length <= 80 ? first : titleFromName(source)) };
}
