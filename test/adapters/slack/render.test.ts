import type { Answer, Citation } from '../../../src/answer/types';
import { BLOCK_LIMIT, renderAnswer, renderReply, SECTION_LIMIT, splitText } from '../../../src/adapters/slack/render';

type Block = { type: string; text?: { text: string }; elements?: { text?: string; action_id?: string }[] };

function answer(overrides: Partial<Answer> = {}): Answer {
  return {
    avatar: 'lao-zhang',
    text: 'Roll back first [1], then read the runbook [2].',
    citations: [
      { n: 1, source: 'slack:C1/1700000000.000100', locator: '#ops-billing 2024-05-01', text: 'roll back first', title: '#ops-billing', url: 'https://acme.slack.com/archives/C1/p1700000000000100', kind: 'slack', visibility: 'public' },
      { n: 2, source: 'runbooks/rollback.md', locator: 'L1-L3', text: 'deployctl rollback', kind: 'markdown', visibility: 'team' },
    ],
    disclosure: 'Hello, I am the digital avatar of Lao Zhang. I am not Lao Zhang.',
    label: '🤖 Digital avatar of Lao Zhang (not the person)',
    firstContact: true,
    grounded: true,
    confidence: 'high',
    model: 'offline-extractive',
    lang: 'en',
    ...overrides,
  };
}

const blocksOf = (m: { blocks: unknown[] }): Block[] => m.blocks as Block[];
const allText = (blocks: Block[]): string => JSON.stringify(blocks);

describe('Slack Block Kit rendering', () => {
  it('opens with the introduction on first contact, cites Slack by permalink and documents by file and lines, ends with label and buttons', () => {
    const [m, ...more] = renderAnswer(answer(), 'slack:T1:D1:dm');
    expect(more).toEqual([]);
    const b = blocksOf(m);
    expect(b[0].text?.text).toMatch(/Hello, I am the digital avatar of Lao Zhang/);
    expect(allText(b)).toContain('<https://acme.slack.com/archives/C1/p1700000000000100|');
    expect(allText(b)).toMatch(/runbooks\/rollback\.md.*L1-L3/);
    expect(b.at(-2)?.elements?.[0].text).toBe('🤖 Digital avatar of Lao Zhang (not the person)');
    expect(b.at(-1)?.elements?.map((e) => e.action_id)).toEqual(['understudy_feedback_up', 'understudy_feedback_down', 'understudy_feedback_voice']);
    expect(m.text).toMatch(/^Hello, I am the digital avatar/);
  });

  it('carries the label, not the introduction, on later replies', () => {
    const [m] = renderAnswer(answer({ firstContact: false }), 'c');
    expect(allText(blocksOf(m))).not.toMatch(/Hello, I am/);
    expect(m.text).toMatch(/^🤖 Digital avatar of Lao Zhang/);
  });

  it('keeps sections under 3,000 characters and messages under 50 blocks, with a text fallback on each', () => {
    const paragraph = `${'The canary holds at five percent for ten minutes before it moves on. '.repeat(20)}\n\n`;
    const long = paragraph.repeat(120);
    const messages = renderAnswer(answer({ text: long }), 'c');
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.blocks.length).toBeLessThanOrEqual(BLOCK_LIMIT);
      for (const b of blocksOf(m)) if (b.type === 'section') expect(b.text?.text.length).toBeLessThanOrEqual(SECTION_LIMIT);
      expect(m.text.length).toBeGreaterThan(0);
      expect(m.text.length).toBeLessThanOrEqual(4000);
    }
    const shown = messages.flatMap((m) => blocksOf(m)).filter((b) => b.type === 'section').map((b) => b.text?.text).join(' ');
    expect(shown.replace(/\s+/g, ' ').length).toBeGreaterThan(long.replace(/\s+/g, ' ').length * 0.99);
  });

  it('splits at paragraph, then line, then word boundaries, and hard-cuts only unbroken text', () => {
    expect(splitText(`${'a'.repeat(2000)}\n\n${'b'.repeat(2000)}`)).toEqual(['a'.repeat(2000), 'b'.repeat(2000)]);
    expect(splitText('x'.repeat(7000)).map((p) => p.length)).toEqual([3000, 3000, 1000]);
  });

  it('names a message of a Slack export by its channel and day, linked when it has a permalink', () => {
    const exported = { source: 'houston/general/2015-06-20', locator: '1434800000.000100', text: 'meetup at 7', title: '#general', kind: 'slack', visibility: 'public' } satisfies Omit<Citation, 'n'>;
    const citations: Citation[] = [
      { n: 1, ...exported, url: 'https://houston.slack.com/archives/C1/p1434800000000100' },
      { n: 2, ...exported },
      { n: 3, ...exported, title: undefined },
    ];
    const texts = blocksOf(renderAnswer(answer({ citations }), 'c')[0]).flatMap((b) => (b.type === 'context' ? (b.elements ?? []).map((e) => e.text) : []));
    expect(texts.slice(0, 3)).toEqual(['[1] <https://houston.slack.com/archives/C1/p1434800000000100|#general · 2015-06-20>', '[2] #general · 2015-06-20', '[3] `houston/general/2015-06-20` 1434800000.000100']);
  });

  it('puts at most ten citations in one context block', () => {
    const citations = Array.from({ length: 23 }, (_, i) => ({ n: i + 1, source: `doc-${i}.md`, locator: `L${i}`, text: 't', kind: 'markdown', visibility: 'public' }) satisfies Citation);
    const b = blocksOf(renderAnswer(answer({ citations }), 'c')[0]);
    const contexts = b.filter((x) => x.type === 'context' && x.elements?.some((e) => /doc-/.test(e.text ?? '')));
    expect(contexts.map((c) => c.elements?.length)).toEqual([10, 10, 3]);
  });

  it('renders notices and status with a plain-text fallback', () => {
    const [notice] = renderReply({ kind: 'notice', text: 'Use **/avatar list** to see <everyone>' }, 'c');
    // The notification text is parsed for mentions too, so it is escaped like the blocks.
    expect(notice.text).toBe('Use **/avatar list** to see &lt;everyone&gt;');
    expect(allText(blocksOf(notice))).toContain('*/avatar list*');
    expect(allText(blocksOf(notice))).toContain('&lt;everyone&gt;');
    const [status] = renderReply({ kind: 'status', text: 'looking…' }, 'c');
    expect(blocksOf(status)[0].text?.text).toBe('_looking…_');
  });
});
