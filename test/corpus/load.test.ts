import fs from 'node:fs';
import { loadCorpus, loadEntry } from '../../src/corpus/load';
import { scanCorpus, type CorpusEntry } from '../../src/corpus/scan';
import { tmpDir, write } from '../helpers/fixtures';

const EML = 'Message-ID: <m1@x>\nFrom: Liu Yang <liu@x.example>\nDate: Tue, 11 Nov 2025 10:00:00 +0800\nSubject: s\n\nraise the pool?\n';

describe('loadCorpus', () => {
  it('reports malformed JSON with the file, line and column, and still loads the rest', async () => {
    const root = tmpDir();
    write(root, 'chats/team.json', '{\n  "items": [\n    {"msg_type": "text",, }\n  ]\n}');
    write(root, 'notes.md', '# Notes');
    const r = await loadCorpus(root);
    expect(r.units.map((u) => u.source)).toEqual(['notes.md']);
    expect(r.errors).toEqual([{ path: 'chats/team.json', message: expect.stringMatching(/^chats\/team\.json: invalid JSON at line 3 column 25: /), position: 'line 3 column 25' }]);
  });

  it('skips JSON of unknown shape, with a hint for a Slack day file taken out of its export', async () => {
    const root = tmpDir();
    write(root, 'config.json', JSON.stringify({ some: 'settings' }));
    write(root, 'general/2025-11-11.json', JSON.stringify([{ type: 'message', user: 'U1', text: 'hi', ts: '1.1' }]));
    const r = await loadCorpus(root);
    expect(r.units).toEqual([]);
    expect(r.skipped).toEqual([
      { path: 'config.json', reason: 'JSON of unknown shape (not a Feishu or Slack export)' },
      { path: 'general/2025-11-11.json', reason: expect.stringMatching(/^JSON of unknown shape: a Slack day file outside its export/) },
    ]);
  });

  it('never filters documents by author, only messages', async () => {
    const root = tmpDir();
    write(root, 'runbook.md', '# Runbook');
    write(root, 'mail/liu.eml', EML);
    const r = await loadCorpus(root, { author: 'someone.else@x.example' });
    expect(r.units.map((u) => u.source)).toEqual(['runbook.md']);
  });

  it('skips a document with no text rather than indexing it empty', async () => {
    const root = tmpDir();
    write(root, 'blank.md', '\n\n   \n');
    write(root, 'empty.html', '<html><body><img src="x.png"></body></html>');
    expect((await loadCorpus(root)).skipped).toEqual([
      { path: 'blank.md', reason: 'no text' },
      { path: 'empty.html', reason: 'no text' },
    ]);
  });

  it('reports progress per entry in scan order', async () => {
    const root = tmpDir();
    write(root, 'b.md', '# b');
    write(root, 'a.md', '# a');
    const seen: string[] = [];
    const r = await loadCorpus(root, { onEntry: (e, i, n) => seen.push(`${i + 1}/${n} ${e.path}`) });
    expect(seen).toEqual(['1/2 a.md', '2/2 b.md']);
    expect(r.entries.map((e) => e.path)).toEqual(['a.md', 'b.md']);
  });
});

describe('loadEntry', () => {
  it('skips a file that grew past the limit after the scan, and one that went away', async () => {
    const root = tmpDir();
    write(root, 'a.txt', 'small');
    const [entry] = scanCorpus(root).entries;
    fs.writeFileSync(entry.abs, 'x'.repeat(3000));
    expect((await loadEntry(entry, root, { maxFileBytes: 1024 })).skipped).toEqual([{ path: 'a.txt', reason: 'oversized: 2.9 KB > 1 KB' }]);
    const gone: CorpusEntry = { ...entry, path: 'gone.txt', abs: `${root}/gone.txt` };
    expect(await loadEntry(gone, root)).toEqual({ units: [], skipped: [{ path: 'gone.txt', reason: 'unreadable: ENOENT' }], errors: [] });
  });
});
