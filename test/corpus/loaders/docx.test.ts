import { zipSync, strToU8, unzipSync } from 'fflate';
import { loadCorpus } from '../../../src/corpus/load';
import { makeDocx, tmpDir, write } from '../../helpers/fixtures';

function withCoreTitle(docx: Buffer, title: string): Buffer {
  const parts = unzipSync(docx);
  parts['docProps/core.xml'] = strToU8(`<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title></cp:coreProperties>`);
  return Buffer.from(zipSync(parts));
}

describe('DOCX loader', () => {
  it('extracts the raw text, titled by the document properties, else a short first paragraph', async () => {
    const root = tmpDir();
    write(root, 'plan.docx', makeDocx(['Invoice v2 plan', 'Backfill runs at night.']));
    write(root, 'titled.docx', withCoreTitle(makeDocx(['first paragraph']), 'Q3 &amp; Q4 roadmap'));
    const r = await loadCorpus(root);
    expect(r.units).toEqual([
      { source: 'plan.docx', kind: 'docx', text: 'Invoice v2 plan\n\nBackfill runs at night.', title: 'Invoice v2 plan' },
      { source: 'titled.docx', kind: 'docx', text: 'first paragraph', title: 'Q3 & Q4 roadmap' },
    ]);
  });

  it('recognises a DOCX inside a zip whatever its name, skips other zips, and reports a broken DOCX', async () => {
    const root = tmpDir();
    write(root, 'renamed.bin', makeDocx(['Renamed but still Word']));
    write(root, 'photos.zip', Buffer.from(zipSync({ 'a.txt': strToU8('hello') })));
    write(root, 'broken.docx', Buffer.from(zipSync({ 'word/document.xml': strToU8('<not-closed') })));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.text])).toEqual([['renamed.bin', 'Renamed but still Word']]);
    expect(r.skipped).toEqual([{ path: 'photos.zip', reason: 'zip archive with no loader (not a DOCX or a Slack export)' }]);
    expect(r.errors).toEqual([{ path: 'broken.docx', message: expect.stringMatching(/^broken\.docx: cannot read DOCX: /) }]);
  });
});
