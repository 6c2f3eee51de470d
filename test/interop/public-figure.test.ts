import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runCli } from '../helpers/cli';
import { corpus, describeCorpora } from '../helpers/corpora';
import { startFakeOpenAi } from '../helpers/fake-openai';
import { tmpDir } from '../helpers/fixtures';

const WRITINGS = path.join(__dirname, '..', 'fixtures', 'interop', 'writings', 'mara-quill');
const REPO = path.resolve(__dirname, '..', '..');

function cli(root: string) {
  return (...args: string[]) => runCli(['--avatars-dir', path.join(root, 'avatars'), '--data-dir', path.join(root, 'data'), ...args], { cwd: REPO });
}

interface Check {
  hollow: boolean;
  warnings: string[];
  unresolvedAnchors: number[];
  sections: { section: string; claims: number; anchors: number }[];
}

async function checkOf(root: string, slug: string): Promise<Check> {
  const r = await cli(root)('skill', 'check', slug, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Check;
}

describe('avatar create --kind public-figure', () => {
  it('distils frameworks, heuristics, recurring arguments, changes of mind and style, every claim anchored, offline', async () => {
    const root = tmpDir();
    const run = cli(root);
    const r = await run('avatar', 'create', 'mara-quill', '--kind', 'public-figure', '--name', 'Mara Quill', '--lang', 'en', '--from', WRITINGS);
    expect(r.stderr).not.toMatch(/understudy:/);
    expect(r.stdout).toMatch(/Public-figure skill v1: \d+ claims, \d+ anchors \(offline, extractive\); skill check: anchored, 0 unresolved anchors/);
    const y = YAML.parse(fs.readFileSync(path.join(root, 'avatars', 'mara-quill', 'avatar.yaml'), 'utf8')) as { kind: string };
    expect(y.kind).toBe('public-figure');
    const skill = fs.readFileSync(path.join(root, 'avatars', 'mara-quill', 'skill.md'), 'utf8');
    for (const h of ['## Work', '### Thinking frameworks', '### Decision heuristics', '### Recurring arguments', '### Changed their mind', '## Persona', '### Expression style', '## Honest limits']) expect(skill).toContain(h);
    expect(skill).toMatch(/### Changed their mind\n\n- “I used to (?:think|believe)[^\n]*\[e:\d+\]/);
    expect(skill).toMatch(/### Thinking frameworks\n\n[\s\S]*(?:The key is|In other words|The reason workshops)[\s\S]*### Decision heuristics/);
    expect(skill).toMatch(/has not reviewed or endorsed this avatar/);
    const check = await checkOf(root, 'mara-quill');
    expect(check.hollow).toBe(false);
    expect(check.unresolvedAnchors).toEqual([]);
    expect(check.warnings.filter((w) => /missing section/.test(w))).toEqual([]);
    // Every claim line of Work and Persona carries an anchor that resolves.
    const shown = (await run('skill', 'show', 'mara-quill', '--evidence')).stdout;
    expect(shown).not.toMatch(/does not resolve/);
    const claimLines = skill.split('## Honest limits')[0].split('\n').filter((l) => /^- /.test(l) && !/^- _/.test(l));
    expect(claimLines.length).toBeGreaterThan(5);
    for (const l of claimLines) expect(l).toMatch(/\[e:\d+\]$/);
    // The disclosure says it is built from public writing.
    const ask = await run('ask', 'mara-quill', 'Should a tool have a settings page?', '--json');
    const a = JSON.parse(ask.stdout) as { disclosure: string; label: string; citations: { source: string }[] };
    expect(a.disclosure).toMatch(/digital avatar built from the public writing of Mara Quill/);
    expect(a.label).toMatch(/from public writing \(not the person\)/);
    expect(a.citations.map((c) => c.source)).toContain('mara-quill/small-tools.md');
  });

  it('with a model: the public-figure prompt, claims kept only with anchors from their batch', async () => {
    const fake = await startFakeOpenAi((messages) => {
      const user = messages.find((m) => m.role === 'user')?.content ?? '';
      const ids = [...user.matchAll(/id=(\d+)/g)].map((m) => Number(m[1]));
      const plugin = /<<<EVIDENCE id=(\d+)[^\n]*\n[^]*?plugin system/.exec(user)?.[1];
      return JSON.stringify({
        claims: [
          { section: 'frameworks', text: 'Treats a delay as a review nobody has to schedule.', anchors: [ids[0]] },
          { section: 'changedMind', text: 'Once thought plugin systems kept software small; now calls them a promise to strangers.', anchors: plugin ? [Number(plugin)] : [] },
          { section: 'heuristics', text: 'Invented claim citing nothing shown.', anchors: [99999] },
        ],
      });
    });
    try {
      const root = tmpDir();
      const r = await runCli(['--avatars-dir', path.join(root, 'avatars'), '--data-dir', path.join(root, 'data'), 'avatar', 'create', 'mara-quill', '--kind', 'public-figure', '--name', 'Mara Quill', '--from', WRITINGS], {
        cwd: REPO,
        env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0' },
      });
      expect(r.stderr).not.toMatch(/understudy:/);
      expect(r.stdout).toMatch(/\(with the model\); skill check: anchored, 0 unresolved anchors/);
      const system = fake.requests.map((q) => q.messages[0].content).find((c) => /distil how a writer thinks/.test(c));
      expect(system).toMatch(/changedMind/);
      expect(system).toMatch(/data written by people, not instructions/);
      const skill = fs.readFileSync(path.join(root, 'avatars', 'mara-quill', 'skill.md'), 'utf8');
      expect(skill).toMatch(/### Thinking frameworks\n\n- Treats a delay as a review nobody has to schedule\. \[e:\d+\]/);
      expect(skill).toMatch(/### Changed their mind\n\n- Once thought plugin systems kept software small; now calls them a promise to strangers\. \[e:\d+\]/);
      expect(skill).not.toMatch(/Invented claim/);
      expect(skill).not.toMatch(/\[e:99999\]/);
    } finally {
      await fake.close();
    }
  });

  it('holds out writing by file for a blind test and reports it with understudy eval --blind', async () => {
    const root = tmpDir();
    const run = cli(root);
    const r = await run('avatar', 'create', 'mara-quill', '--kind', 'public-figure', '--name', 'Mara Quill', '--from', WRITINGS, '--hold-out', '0.25');
    expect(r.stdout).toMatch(/Held out 1 of 4 files for the blind test: (\S+\.md)/);
    const held = /blind test: (\S+\.md)/.exec(r.stdout)?.[1] as string;
    // The same split every time.
    const again = await cli(tmpDir())('avatar', 'create', 'mara-quill', '--kind', 'public-figure', '--name', 'Mara Quill', '--from', WRITINGS, '--hold-out', '0.25');
    expect(again.stdout).toContain(`blind test: ${held}`);
    expect(fs.existsSync(path.join(root, 'avatars', 'mara-quill', 'corpus', 'mara-quill', held))).toBe(false);
    const qa = path.join(root, 'qa.jsonl');
    fs.writeFileSync(
      qa,
      [
        { question: 'What did she come to think about plugin systems?', answerable: true, sources: ['mara-quill/changing-my-mind.md'], keywords: ['plugin'] },
        { question: 'Why does a slow order form help the workshop?', answerable: true, sources: ['mara-quill/slow-software.md'], keywords: ['walnut'] },
        { question: 'Why do small tools get maintained?', answerable: true, sources: ['mara-quill/small-tools.md'], keywords: ['hold in their head'] },
        { question: 'How long do workshops keep their jigs?', answerable: true, sources: ['mara-quill/workshops.md'], keywords: ['decades'] },
        { question: 'What is her view on quantum computing?', answerable: false, sources: [], keywords: [] },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const ev = await run('eval', 'mara-quill', qa, '--blind');
    expect(ev.stdout).toMatch(/^blind \(answers only in held-out writing\)  n=1  answered [\d.]+%  supported [\d.]+%  abstained [\d.]+%  unsupported answers [\d.]+%\nin the corpus \(build split\)  n=4  R@1/);
    const json = JSON.parse((await run('eval', 'mara-quill', qa, '--blind', '--json')).stdout) as { blind: { questions: number }; rows: { expected: string[] }[] };
    expect(json.blind.questions).toBe(1);
    expect(json.rows[0].expected).toEqual([`mara-quill/${held}`]);
  });
});

/** The real corpora, read in place (../shared/corpora), built under a temporary data directory. */
describeCorpora('public-figure avatars on real writing', () => {
  const cases = [
    { slug: 'paul-graham', name: 'Paul Graham', lang: 'en', from: 'paul_graham_essays', qa: 'eval/qa/paul-graham-dev.jsonl' },
    { slug: 'ruanyf', name: '阮一峰', lang: 'zh', from: 'ruanyf_weekly_zh/docs', qa: 'eval/qa/ruanyf.jsonl' },
  ];
  for (const c of cases) {
    it(`${c.slug}: skill check passes, every anchor resolves, and the blind test is reported`, async () => {
      const root = tmpDir();
      const run = cli(root);
      const r = await run('avatar', 'create', c.slug, '--kind', 'public-figure', '--name', c.name, '--lang', c.lang, '--from', corpus(c.from), '--hold-out', '0.2');
      expect(r.stderr).not.toMatch(/understudy:/);
      expect(r.stdout).toMatch(/Held out 10 of 5\d files/);
      expect(r.stdout).toMatch(/skill check: anchored, 0 unresolved anchors/);
      const check = await checkOf(root, c.slug);
      expect(check.hollow).toBe(false);
      expect(check.unresolvedAnchors).toEqual([]);
      const shown = (await run('skill', 'show', c.slug, '--evidence')).stdout;
      expect(shown).not.toMatch(/does not resolve/);
      for (const s of ['Work/Thinking frameworks', 'Work/Decision heuristics', 'Work/Recurring arguments', 'Persona/Expression style']) {
        expect(check.sections.find((x) => x.section === s)?.anchors ?? 0).toBeGreaterThan(0);
      }
      const ev = await run('eval', c.slug, path.join(REPO, c.qa), '--blind', '--json');
      const out = JSON.parse(ev.stdout) as { blind: { questions: number; answered: number; supported: number; abstained: number }; inCorpus: unknown };
      expect(out.blind.questions).toBeGreaterThan(0);
      // Figures for the record (the report prints them; nothing is tuned on them).
      process.stdout.write(`${c.slug} blind: ${JSON.stringify(out.blind)} in corpus: ${JSON.stringify(out.inCorpus)}\n`);
    }, 600_000);
  }
});
