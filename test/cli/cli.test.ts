import fs from 'node:fs';
import path from 'node:path';
import { hoistGlobalOptions } from '../../src/cli';
import { corpus, itCorpora } from '../helpers/corpora';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';

function workspace(): string {
  const root = tmpDir('cli-');
  makeAvatar(root, 'lao-zhang', {
    'runbooks/rollback.md': '# Rollback billing-gateway\n\nIf it touches money, roll back first: `deployctl rollback billing-gateway --to v2.14.2`.\n',
    'runbooks/deploy.md': '# Deploy billing-gateway\n\nRun `deployctl release billing-gateway --env prod`; the canary goes 5%, 25%, 50%, 100%.\n',
  });
  return root;
}

describe('understudy CLI', () => {
  it('accepts global options anywhere, also after the arguments', () => {
    expect(hoistGlobalOptions(['search', 'lz', 'q', '--data-dir', 'd', '-k', '3'])).toEqual(['--data-dir', 'd', 'search', 'lz', 'q', '-k', '3']);
    expect(hoistGlobalOptions(['ask', '--avatars-dir=a', 'lz', 'q'])).toEqual(['--avatars-dir=a', 'ask', 'lz', 'q']);
  });

  it('ingests, then searches with the JSON contract', async () => {
    const cwd = workspace();
    const ingest = await runCli(['ingest', 'lao-zhang'], { cwd });
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toMatch(/files read: +2/);
    const res = await runCli(['search', 'lao-zhang', 'roll back money', '--json', '-k', '2', '--data-dir', path.join(cwd, 'data')], { cwd });
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout);
    expect(rows[0]).toEqual({ rank: 1, score: expect.any(Number), source: 'runbooks/rollback.md', locator: 'L1-L3', text: expect.stringContaining('roll back first') });
    expect(Object.keys(rows[0])).toEqual(['rank', 'score', 'source', 'locator', 'text']);
  });

  it('answers with the JSON contract', async () => {
    const cwd = workspace();
    const res = await runCli(['ask', 'lao-zhang', 'How do I release billing-gateway?', '--json'], { cwd });
    expect(res.code).toBe(0);
    const a = JSON.parse(res.stdout);
    expect(a).toMatchObject({ grounded: true, disclosure: expect.stringMatching(/I am the digital avatar of/), citations: [expect.objectContaining({ source: 'runbooks/deploy.md', locator: 'L1-L3' })] });
    expect(Object.keys(a.citations[0])).toEqual(['source', 'locator', 'text']);
  });

  it('prints a readable answer that opens with the disclosure', async () => {
    const cwd = workspace();
    const res = await runCli(['ask', 'lao-zhang', 'How do I roll back?'], { cwd });
    expect(res.stdout.split('\n')[0]).toMatch(/^Hello, I am the digital avatar of/);
    expect(res.stdout).toMatch(/Sources:\n {2}\[1\] runbooks\/rollback.md L1-L3/);
  });

  it('exits 1 with one line and suggestions for an unknown avatar', async () => {
    const res = await runCli(['ask', 'lao-zang', 'hi'], { cwd: workspace() });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual(['understudy: Unknown avatar "lao-zang". Did you mean: lao-zhang?']);
  });

  it('exits 1 naming the file and field of an invalid avatar.yaml', async () => {
    const cwd = workspace();
    write(cwd, 'avatars/broken/avatar.yaml', 'slug: broken\nhandle: broken-avatar\ndisplay_name: B\nperson:\n  name: B\n  status: retired\n');
    const res = await runCli(['ingest', 'broken'], { cwd });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/avatars\/broken\/avatar.yaml: field person.status/);
  });

  it('exits 1 naming a bad environment variable', async () => {
    const res = await runCli(['avatar', 'list'], { cwd: workspace(), env: { PORT: 'abc' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PORT must be a whole number/);
  });

  it('exits 1 on an unknown command or option', async () => {
    expect((await runCli(['frobnicate'], { cwd: workspace() })).code).toBe(1);
    expect((await runCli(['search', 'lao-zhang', 'x', '-k', 'many'], { cwd: workspace() })).code).toBe(1);
  });

  itCorpora('creates an avatar from a real maildir, ingests it and answers from it', async () => {
    const cwd = tmpDir('cli-');
    const res = await runCli(['avatar', 'create', 'allen-p', '--name', 'Phillip Allen', '--from', corpus('enron_maildir_sent/maildir/allen-p/sent_items')], { cwd });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Created avatars\/allen-p/);
    expect(res.stdout).toMatch(/skipped: +\d+[\s\S]*forward or quote only/);
    expect(fs.existsSync(path.join(cwd, 'avatars/allen-p/corpus/sent_items/10.'))).toBe(true);
    expect(fs.existsSync(path.join(cwd, 'data/indexes/allen-p/current.json'))).toBe(true);
    const list = await runCli(['avatar', 'list', '--json'], { cwd });
    expect(JSON.parse(list.stdout).avatars[0]).toMatchObject({ slug: 'allen-p', chunks: expect.any(Number) });
    const ask = await runCli(['ask', 'allen-p', 'What did Phillip say about the volumes by tenor charts?', '--json'], { cwd });
    expect(JSON.parse(ask.stdout).citations[0].source).toMatch(/^sent_items\//);
  }, 60_000);

  it('runs an eval on a QA file and rejects a malformed line with its number', async () => {
    const cwd = workspace();
    write(cwd, 'qa.jsonl', [
      JSON.stringify({ question: 'How do I roll back?', answerable: true, sources: ['runbooks/rollback.md'], keywords: ['roll back'] }),
      JSON.stringify({ question: 'What is the Kafka retention?', answerable: false, sources: [], keywords: [] }),
    ].join('\n'));
    const res = await runCli(['eval', 'lao-zhang', 'qa.jsonl', '--mode', 'hybrid', '--json'], { cwd });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).all).toMatchObject({ questions: 2, recallAt1: 1, abstentionAccuracy: 1 });
    write(cwd, 'bad.jsonl', '{"question": "x", "answerable": true}\n{oops\n');
    const bad = await runCli(['eval', 'lao-zhang', 'bad.jsonl'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad.jsonl:2: invalid JSON/);
  });
});
