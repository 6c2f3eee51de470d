import { buildPrompt } from '../../src/answer/prompt';
import { shownText } from '../../src/answer/source-text';
import { avatarSchema } from '../../src/avatars/schema';
import type { Chunk } from '../../src/corpus/types';

describe('a plain-text source as answers show it', () => {
  it('puts the space back between glued sentences, and leaves dotted names, paths and abbreviations alone', () => {
    expect(shownText('for guests.As knowledge spread, customs changed.', 'text')).toBe('for guests. As knowledge spread, customs changed.');
    expect(shownText('them?After that, in 1995.My share 50%.Fortunately a choice).As "olds."Split it.I think', 'text')).toBe(
      'them? After that, in 1995. My share 50%. Fortunately a choice). As "olds." Split it. I think',
    );
    expect(shownText('January 2015Corporate Development, aka corp dev, buys companies.', 'text')).toBe('January 2015. Corporate Development, aka corp dev, buys companies.');
    expect(shownText('March 2008, rev. June 2008Technology tends to separate.', 'text')).toBe('March 2008, rev. June 2008. Technology tends to separate.');
    expect(shownText('In January 2015 Google bought it.', 'text')).toBe('In January 2015 Google bought it.');
    const left = 'java.util.List www.Example.com e.g.The node.js v1.2 http://a.example/C.Def a@b.Com';
    expect(shownText(left, 'text')).toBe(left);
  });

  it('drops footnote markers with the space they take, and keeps indexes, links and references', () => {
    expect(shownText('research labs. [1]The Secret Weapon', 'text')).toBe('research labs. The Secret Weapon');
    expect(shownText("(See Greenspun's Tenth Rule.)[2] Robert Morris says", 'text')).toBe("(See Greenspun's Tenth Rule.) Robert Morris says");
    expect(shownText('what these words mean [3] and why', 'text')).toBe('what these words mean and why');
    expect(shownText('undiscovered.Notes[1] Put railings', 'text')).toBe('undiscovered. Notes Put railings');
    expect(shownText('[4]Bigger companies', 'text')).toBe('Bigger companies');
    const kept = 'arr[2] = x; see [2](https://a.example) and [text][2] and [2]: https://b.example';
    expect(shownText(kept, 'text')).toBe(kept);
  });

  it('leaves code blocks and other kinds of source as written', () => {
    const code = '```\nx = a.b.Call() [1]\nend.Then\n```';
    expect(shownText(code, 'text')).toBe(code);
    expect(shownText('Deploy to node.Then run [1] once.', 'markdown')).toBe('Deploy to node.Then run [1] once.');
  });

  it('reads bullet lines of any source as Markdown list items, nested four spaces a level, and leaves code alone', () => {
    expect(shownText('Steps:\n• open the PR\n    ◦ name the revision\n       • and the branch\n• merge', 'slack')).toBe(
      'Steps:\n- open the PR\n    - name the revision\n        - and the branch\n- merge',
    );
    expect(shownText('```\n• kept\n```', 'markdown')).toBe('```\n• kept\n```');
    expect(shownText('a • b', 'slack')).toBe('a • b');
  });

  it('gives the model the essay without footnote markers, which it would take for source numbers', () => {
    const chunk: Chunk = { id: 1, source: 'essays/avg.txt', kind: 'text', locator: 'L1-L2', text: 'research labs. [1]The Secret Weapon\nwas Lisp.[2] So we used it.', visibility: 'public' };
    const config = avatarSchema.parse({ slug: 'pg', handle: 'pg', display_name: 'Paul Graham', person: { name: 'Paul Graham', status: 'active' } });
    const messages = buildPrompt({ config, skill: '', hits: [{ chunk, score: 1, coverage: 1 }], history: [], question: 'What was the secret weapon?', lang: 'en', firstContact: false, introduction: '' });
    const sources = messages[1].content;
    expect(sources).toContain('research labs. The Secret Weapon\nwas Lisp. So we used it.');
  });
});
