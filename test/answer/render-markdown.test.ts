import { renderAnswer as renderCli } from '../../src/cli/render';
import { renderAnswer as renderCard } from '../../src/adapters/lark/render';
import { renderAnswer as renderSlack, toMrkdwn } from '../../src/adapters/slack/render';
import type { Answer } from '../../src/answer/types';
import { linkCitations } from '../../web/src/chat/cite-links';

/** An offline answer as the composer writes it: a lead with a code block, then a quote holding a heading and code. */
const TEXT = [
  'While the canary is still running (not yet 100%): [1]',
  '```bash',
  'deployctl abort billing-gateway --env prod',
  '# wraps: kubectl argo rollouts abort billing-gateway -n payments',
  '```',
  '',
  "Quoted from Lao Zhang's material (offline mode: quoted, not generated):",
  '',
  '[1] From the document "Runbook":',
  '> ## Commands',
  '> ',
  '> **If it touches money, roll back first.**',
  '> ```bash',
  '> deployctl rollback billing-gateway --env prod --to v2.14.2',
  '> ```',
].join('\n');

const answer: Answer = {
  avatar: 'lao-zhang', text: TEXT, citations: [], disclosure: 'Hello, I am the digital avatar', label: 'Digital avatar (not the person)',
  firstContact: true, grounded: true, confidence: 'high', model: 'offline-extractive', lang: 'en',
};

describe('answers render as Markdown on every surface', () => {
  it('Slack mrkdwn: code blocks stay code (no language line, no bold comments), quoted code leaves the quote, headings are bold', () => {
    const out = toMrkdwn(TEXT);
    expect(out).toContain('```\ndeployctl abort billing-gateway --env prod\n# wraps: kubectl argo rollouts abort billing-gateway -n payments\n```');
    expect(out).not.toMatch(/```bash|\*wraps/);
    expect(out).toContain('> *Commands*');
    expect(out).toContain('> *If it touches money, roll back first.*');
    expect(out).toContain('```\ndeployctl rollback billing-gateway --env prod --to v2.14.2\n```');
    expect(JSON.stringify(renderSlack(answer, 'c'))).not.toMatch(/> ```/);
  });

  it('Slack mrkdwn: Markdown list items show as bullets, nested ones as hollow bullets, in quotes too; a rule stays a rule', () => {
    expect(toMrkdwn('Steps:\n- open the PR\n    - name the revision\n> - quoted item\n---\n* * *')).toBe('Steps:\n• open the PR\n    ◦ name the revision\n> • quoted item\n---\n* * *');
  });

  it('Feishu card markdown: the same, with headings as bold and the fence language kept', () => {
    const card = JSON.stringify(renderCard(answer, 'c'));
    expect(card).toContain('```bash\\ndeployctl abort billing-gateway --env prod\\n# wraps');
    expect(card).toContain('> **Commands**');
    expect(card).not.toMatch(/> ```|\*\*wraps/);
  });

  it('terminal: no fences or asterisks, code indented, quotes behind a bar', () => {
    const out = renderCli(answer);
    expect(out).not.toMatch(/```|\*\*/);
    expect(out).toContain('    deployctl abort billing-gateway --env prod');
    expect(out).toContain('  │ Commands');
    expect(out).toContain('    deployctl rollback billing-gateway --env prod --to v2.14.2');
  });
});

describe('the web app links citation markers', () => {
  it('links our [n] after a lead and before a quote, never a [1] inside quoted source text or code', () => {
    const text = [
      'The LANGUAGE variable decides it. [1]',
      '',
      "Quoted from Heather's material (offline mode: quoted, not generated):",
      '',
      '[1] From the message "#help" (2021-02-08):',
      '> Sys.getenv("LANGUAGE")',
      '> #> [1] "es"',
      '',
      '```r',
      'x[1]',
      '[1] "es"',
      '```',
      'See `v[1]` and [2].',
    ].join('\n');
    const out = linkCitations(text, [1, 2]);
    expect(out).toContain('The LANGUAGE variable decides it. [\\[1\\]](#cite-1)');
    expect(out).toContain('[\\[1\\]](#cite-1) From the message');
    expect(out).toContain('> #> [1] "es"');
    expect(out).toContain('```r\nx[1]\n[1] "es"\n```');
    expect(out).toContain('See `v[1]` and [\\[2\\]](#cite-2).');
  });
});
