import { loadCorpus } from '../../../src/corpus/load';
import { markdownTitle } from '../../../src/corpus/loaders/markdown';
import { tmpDir, write } from '../../helpers/fixtures';

describe('Markdown and text loader', () => {
  it('loads a Markdown file whole, from line 1, titled by its first heading, without BOM or CRLF', async () => {
    const root = tmpDir();
    write(root, 'runbooks/deploy.md', '\uFEFF# Deploy billing-gateway\r\n\r\nRun deployctl.\r\n');
    const r = await loadCorpus(root);
    expect(r.units).toEqual([{ source: 'runbooks/deploy.md', kind: 'markdown', text: '# Deploy billing-gateway\n\nRun deployctl.\n', firstLine: 1, title: 'Deploy billing-gateway' }]);
  });

  it('takes the title from the first H1 outside code, a setext heading or front matter, else the file name', () => {
    expect(markdownTitle('```sh\n# install deps\n```\n\n# Real title')).toBe('Real title');
    expect(markdownTitle('Intro text\n\n## Section\n\nTitle Here\n=====\n')).toBe('Title Here');
    expect(markdownTitle('---\ntitle: "From front matter"\n---\n\nno heading')).toBe('From front matter');
    expect(markdownTitle('## only a subsection')).toBeUndefined();
  });

  it('titles a text file by its name and reads UTF-16 and Windows-1252 text', async () => {
    const root = tmpDir();
    write(root, 'essays/how-to-do-great-work.txt', 'If you collected lists of techniques...');
    write(root, 'legacy/cafe.txt', Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x6f, 0x6b, 0x94]));
    write(root, 'windows/notes.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('连接池 40', 'utf16le')]));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.kind, u.title, u.text])).toEqual([
      ['essays/how-to-do-great-work.txt', 'text', 'how-to-do-great-work', 'If you collected lists of techniques...'],
      ['legacy/cafe.txt', 'text', 'cafe', 'Café “ok”'],
      ['windows/notes.txt', 'text', 'notes', '连接池 40'],
    ]);
  });
});
