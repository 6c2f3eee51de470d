import { loadCorpus } from '../../../src/corpus/load';
import { makePdf, tmpDir, write } from '../../helpers/fixtures';

// pdf.js loads its worker with a dynamic import: run through `npm test` (--experimental-vm-modules).
describe('PDF loader', () => {
  it('loads the text of a PDF as one unit titled by its file name', async () => {
    const root = tmpDir();
    write(root, 'docs/notes.pdf', makePdf('Rollback with deployctl abort'));
    const r = await loadCorpus(root);
    expect(r.errors).toEqual([]);
    expect(r.units).toEqual([{ source: 'docs/notes.pdf', kind: 'pdf', text: 'Rollback with deployctl abort', title: 'notes' }]);
  });

  it('recognises a PDF by content whatever its name, and reports a broken one without stopping the rest', async () => {
    const root = tmpDir();
    write(root, 'scan-2025', makePdf('No extension here'));
    write(root, 'broken.pdf', '%PDF-1.4 this is not really a pdf');
    write(root, 'ok.md', '# fine');
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.kind])).toEqual([
      ['ok.md', 'markdown'],
      ['scan-2025', 'pdf'],
    ]);
    expect(r.errors).toEqual([{ path: 'broken.pdf', message: expect.stringMatching(/^broken\.pdf: cannot read PDF: /) }]);
  });
});
