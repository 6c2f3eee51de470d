import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';
import { eventBody, shownText, slackWorkspace, slashCommand, startSlack, type SlackHarness } from '../helpers/slack-harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'interop');
const COLLEAGUES = path.join(FIXTURES, 'colleagues');
const NUWA = path.join(FIXTURES, 'nuwa', 'mara-quill');

function cli(root: string) {
  return (...args: string[]) => runCli(['--avatars-dir', path.join(root, 'avatars'), '--data-dir', path.join(root, 'data'), ...args], { cwd: root });
}

function yamlOf(root: string, slug: string): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(path.join(root, 'avatars', slug, 'avatar.yaml'), 'utf8')) as Record<string, unknown>;
}

function skillOf(root: string, slug: string): string {
  return fs.readFileSync(path.join(root, 'avatars', slug, 'skill.md'), 'utf8');
}

describe('avatar import', () => {
  it('imports a colleague.skill person folder: skill text, material as corpus, paused with consent_pending', async () => {
    const root = tmpDir();
    const run = cli(root);
    const r = await run('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'));
    expect(r.stderr).not.toMatch(/understudy:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Imported zhou-min \(Zhou Min\) from a colleague-skill folder: \d+ chunks indexed.*Paused: no consent record yet/);
    const y = yamlOf(root, 'zhou-min');
    expect(y.status).toBe('paused');
    expect(y.consent).toBeUndefined();
    expect(y.consent_pending).toMatchObject({ status: 'none', source: 'colleague-skill', from: 'zhou-min' });
    expect(y.person).toMatchObject({ name: 'Zhou Min', title: 'Release manager, Staff', team: 'Mobile platform', aliases: ['zhou.min@example.com'] });
    // The folder's platform id (U07ZHOU) is not taken: it would make its holder the avatar's subject.
    const skill = skillOf(root, 'zhou-min');
    expect(skill).toMatch(/^# Skill: Zhou Min\n\n## Work\n/);
    // The folder's headings sit under ours; its claimed anchor is not trusted as ours.
    expect(skill).toMatch(/^### Zhou Min — Work$/m);
    expect(skill).toMatch(/^#### Responsibilities$/m);
    expect(skill).toMatch(/## Persona\n\n### Persona\n/);
    expect(skill).not.toMatch(/\[e:999\]/);
    expect(skill).toMatch(/\(unverified source 999\)/);
    expect(skill).toMatch(/## Honest limits\n\n- Imported from a colleague.skill folder/);
    const corpus = path.join(root, 'avatars', 'zhou-min', 'corpus');
    expect(fs.existsSync(path.join(corpus, 'knowledge', 'release-notes.md'))).toBe(true);
    expect(fs.existsSync(path.join(corpus, 'imported-skill', 'work.md'))).toBe(true);
    const search = await run('search', 'zhou-min', 'crash dashboard rollout', '--json');
    expect(JSON.parse(search.stdout)[0].source).toBe('knowledge/release-notes.md');
    const audit = await run('audit', '--action', 'import', '--json');
    expect(JSON.parse(audit.stdout)[0]).toMatchObject({ avatar: 'zhou-min', detail: { format: 'colleague-skill', from: 'zhou-min' } });
  });

  it('imports a parent folder of several people, each its own paused avatar', async () => {
    const root = tmpDir();
    const r = await cli(root)('avatar', 'import', COLLEAGUES, '--json');
    expect(r.code).toBe(0);
    const done = JSON.parse(r.stdout) as { slug: string; name: string; status: string }[];
    expect(done.map((d) => [d.slug, d.name, d.status])).toEqual([
      ['chen-hao', '陈浩', 'paused'],
      ['zhou-min', 'Zhou Min', 'paused'],
    ]);
    expect(yamlOf(root, 'chen-hao')).toMatchObject({ status: 'paused', person: { name: '陈浩', title: '数据平台工程师', team: '示例公司', languages: ['zh'] }, consent_pending: { source: 'colleague-skill' } });
    expect(skillOf(root, 'chen-hao')).toMatch(/先看日志再说/);
  });

  it('imports a Nüwa-style SKILL.md with references/ as a public-figure avatar', async () => {
    const root = tmpDir();
    const run = cli(root);
    const r = await run('avatar', 'import', NUWA, '--slug', 'mara-quill');
    expect(r.code).toBe(0);
    const y = yamlOf(root, 'mara-quill');
    expect(y).toMatchObject({ kind: 'public-figure', status: 'paused', person: { name: 'Mara Quill' }, consent_pending: { source: 'nuwa-skill', from: 'mara-quill' } });
    const skill = skillOf(root, 'mara-quill');
    expect(skill).toMatch(/^# Skill: Mara Quill\n\n## Work\n\n### Mara Quill · How she thinks\n\n#### Mental models/);
    expect(skill).not.toMatch(/^---$/m);
    const search = await run('search', 'mara-quill', 'settings page two features', '--json');
    expect(JSON.parse(search.stdout)[0].source).toBe('references/small-tools.md');
  });

  it('refuses bad folders with errors naming the file and field, and creates nothing', async () => {
    const root = tmpDir();
    const run = cli(root);
    const bad = tmpDir('bad-skill-');
    const expectError = async (dir: string, re: RegExp) => {
      const r = await run('avatar', 'import', dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
    };
    write(bad, 'empty/readme.txt', 'nothing here');
    await expectError(path.join(bad, 'empty'), /empty: not a skill folder: expected a colleague.skill person folder/);
    await expectError(path.join(bad, 'nope'), /nope: no such folder/);
    write(bad, 'no-persona/meta.json', '{"name": "A"}');
    write(bad, 'no-persona/work.md', '# Work');
    await expectError(path.join(bad, 'no-persona'), /no-persona\/persona\.md: missing/);
    write(bad, 'broken-json/meta.json', '{"name": ');
    write(bad, 'broken-json/work.md', '# Work');
    write(bad, 'broken-json/persona.md', '# Persona');
    await expectError(path.join(bad, 'broken-json'), /broken-json\/meta\.json: invalid JSON/);
    write(bad, 'no-name/meta.json', '{"slug": "x", "aliases": "a@b.c"}');
    write(bad, 'no-name/work.md', '# Work');
    write(bad, 'no-name/persona.md', '# Persona');
    await expectError(path.join(bad, 'no-name'), /no-name\/meta\.json: field name: is required/);
    write(bad, 'bad-slug/meta.json', '{"name": "A B", "slug": "Not A Slug"}');
    write(bad, 'bad-slug/work.md', '# Work');
    write(bad, 'bad-slug/persona.md', '# Persona');
    await expectError(path.join(bad, 'bad-slug'), /bad-slug\/meta\.json: field slug: "Not A Slug" must be lowercase/);
    write(bad, 'no-front/SKILL.md', '# Just a heading\n');
    await expectError(path.join(bad, 'no-front'), /no-front\/SKILL\.md: no YAML front matter/);
    write(bad, 'no-desc/SKILL.md', '---\nname: x\n---\n# X\n');
    await expectError(path.join(bad, 'no-desc'), /no-desc\/SKILL\.md: field description: is required/);
    write(bad, 'bad-yaml/SKILL.md', '---\nname: [x\n---\n# X\n');
    await expectError(path.join(bad, 'bad-yaml'), /bad-yaml\/SKILL\.md:\d+: invalid YAML front matter/);
    // One bad person in a parent folder: nothing of the others is created either.
    fs.cpSync(path.join(COLLEAGUES, 'zhou-min'), path.join(bad, 'team', 'zhou-min'), { recursive: true });
    write(bad, 'team/broken/meta.json', '[]');
    write(bad, 'team/broken/work.md', '# Work');
    write(bad, 'team/broken/persona.md', '# Persona');
    await expectError(path.join(bad, 'team'), /team\/broken\/meta\.json: must be a JSON object/);
    expect(fs.existsSync(path.join(root, 'avatars', 'zhou-min'))).toBe(false);
    // An existing avatar is never overwritten.
    expect((await run('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'))).code).toBe(0);
    await expectError(path.join(COLLEAGUES, 'zhou-min'), /Avatar "zhou-min" already exists/);
  });

  it('keeps an imported avatar paused (status notice through the router) until consent is recorded', async () => {
    const root = tmpDir();
    const run = cli(root);
    expect((await run('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'))).code).toBe(0);
    const store = new SqliteStateStore(':memory:');
    const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
    const router = new ChatRouter({ service, rateLimits: { userPerMinute: 100, workspacePerMinute: 1000 } });
    const t = new RecordingTransport();
    await router.handle(dmEvent('@zhou-min-avatar when does the weekly train leave?'), t);
    expect(t.texts().at(-1)).toMatch(/The digital avatar of Zhou Min was imported and is waiting for Zhou Min's consent/);
    expect(t.shown().some((r) => r.kind === 'answer')).toBe(false);
    // Resuming is not recording consent.
    const resume = await run('avatar', 'resume', 'zhou-min');
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(/imported without a consent record and stays paused until one is recorded: `understudy avatar consent zhou-min/);
    // Hand-editing status: active without consent makes avatar.yaml invalid, naming the field.
    const file = path.join(root, 'avatars', 'zhou-min', 'avatar.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('status: paused', 'status: active'));
    const list = await run('avatar', 'list');
    expect(list.stderr).toMatch(/avatar\.yaml: field status: an imported avatar with no consent record stays paused/);
    fs.writeFileSync(file, text);
    const missing = await run('avatar', 'consent', 'zhou-min');
    expect(missing.stderr).toMatch(/--basis self\|consent\|policy/);
    const ok = await run('avatar', 'consent', 'zhou-min', '--basis', 'consent', '--approved-by', 'Zhou Min');
    expect(ok.stdout).toMatch(/Consent recorded for zhou-min \(consent, approved by Zhou Min\); it is active/);
    const y = yamlOf(root, 'zhou-min');
    expect(y.status).toBe('active');
    expect(y.consent_pending).toBeUndefined();
    expect(y.consent).toMatchObject({ basis: 'consent', approved_by: 'Zhou Min', subject: 'Zhou Min' });
    service.reload();
    await router.handle(dmEvent('@zhou-min-avatar when does the weekly train leave?'), t);
    const answer = t.shown().find((r) => r.kind === 'answer');
    expect(answer?.kind === 'answer' && answer.answer.citations.map((c) => c.source)).toContain('knowledge/release-notes.md');
    const audit = await run('audit', '--action', 'consent_recorded', '--json');
    expect(JSON.parse(audit.stdout)[0]).toMatchObject({ avatar: 'zhou-min', detail: { basis: 'consent', was_pending: true, status: 'active' } });
    service.close();
    store.close();
  });

  it('un-pauses an imported avatar when a distillation records consent', async () => {
    const root = tmpDir();
    const run = cli(root);
    expect((await run('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'))).code).toBe(0);
    const more = write(tmpDir('more-'), 'notes/rollback.md', '# Rollback\n\nIf crash-free sessions drop below 99.6%, halt the rollout at 5% and page the release manager on call.\n');
    const r = await run('distill', 'zhou-min', '--name', 'Zhou Min', '--from', path.dirname(more), '--basis', 'self');
    expect(r.stderr).not.toMatch(/understudy:/);
    expect(yamlOf(root, 'zhou-min')).toMatchObject({ status: 'active', consent: { basis: 'self' } });
    expect(yamlOf(root, 'zhou-min').consent_pending).toBeUndefined();
  });
});

/** An avatar with a hand-written skill whose anchors point at chunks holding an e-mail and a phone number. */
async function anchoredAvatar(root: string, slug = 'ops-lead', extra = 0): Promise<{ ids: number[] }> {
  const notes: Record<string, string> = {};
  const topics = ['backups', 'certificates', 'dns', 'kafka', 'ledger', 'mirrors', 'ntp', 'queues', 'redis', 'snapshots', 'vault', 'workers'];
  for (let i = 1; i <= extra; i++) notes[`notes/note-${i}.md`] = `# ${topics[i]}\n\nThe ${topics[i]} runbook lives beside host db-${i}; its owner reviews ${topics[i]} alerts every ${i + 1} weeks before drill ${i}.\n`;
  makeAvatar(
    root,
    slug,
    {
      ...notes,
      'runbook.md': '# Failover\n\nFail over the primary database only after the replica lag is under 5 seconds; run dbctl promote replica-2.\n',
      'contacts.md': '# Escalation\n\nIf the promotion hangs, mail ops.lead@example.com or call +1 415 555 0199 and keep the incident channel open.\n',
    },
    'consent:\n  basis: self\n  subject: Ops Lead\n  approved_by: Ops Lead\n  recorded_at: "2026-01-01T00:00:00Z"\n',
  );
  const r = await cli(root)('ingest', slug);
  expect(r.code).toBe(0);
  const search = async (q: string) => JSON.parse((await cli(root)('search', slug, q, '--json', '-k', '1')).stdout)[0] as { source: string };
  expect((await search('replica lag promote')).source).toBe('runbook.md');
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  const ids: number[] = [];
  for (const c of service.index(slug).chunkStore().iterateChunks()) ids.push(c.id);
  const bySource = new Map<string, number>();
  for (const c of service.index(slug).chunkStore().iterateChunks()) bySource.set(c.source, c.id);
  service.close();
  store.close();
  const run = bySource.get('runbook.md') as number;
  const contact = bySource.get('contacts.md') as number;
  const gotchas = Array.from({ length: extra }, (_, i) => `- Check disk ${i + 1} on db-${i + 1} before drill ${i + 1}. [e:${bySource.get(`notes/note-${i + 1}.md`) as number}]\n`).join('');
  fs.writeFileSync(
    path.join(root, 'avatars', slug, 'skill.md'),
    `# Skill: Ops Lead\n\nRuns failovers for the primary database. [e:${contact}] [e:${run}]\n\n## Work\n\n### Procedures\n\n1. Wait for replica lag under 5 seconds, then \`dbctl promote replica-2\`. [e:${run}]\n2. If it hangs, escalate by mail and phone. [e:${contact}]\n\n### Gotchas\n\n${gotchas || '_Nothing in the material shows this._\n'}\n## Persona\n\n### Tone\n\n- Terse and numeric. [e:${run}]\n\n## Honest limits\n\n- Covers two documents only.\n\n## Corrections\n\n_No corrections yet._\n`,
  );
  return { ids: [contact, run] };
}

describe('avatar export --format agent-skill', () => {
  it('writes SKILL.md (front matter, sections, disclosure rule) and one masked reference per anchor', async () => {
    const root = tmpDir();
    await anchoredAvatar(root);
    const out = path.join(root, 'skills', 'ops-lead');
    const r = await cli(root)('avatar', 'export', 'ops-lead', '--format', 'agent-skill', out);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Wrote skills\/ops-lead: SKILL.md and 2 references/);
    const text = fs.readFileSync(path.join(out, 'SKILL.md'), 'utf8');
    const front = YAML.parse(/^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '') as { name: string; description: string; metadata: Record<string, string> };
    expect(front.name).toBe('ops-lead');
    expect(front.description).toMatch(/^Digital avatar of Test Person ops-lead, Engineer, Platform: how they work and write/);
    expect(front.description.length).toBeLessThanOrEqual(1024);
    expect(front.metadata).toMatchObject({ 'understudy-format': '1', person: 'Test Person ops-lead', kind: 'colleague' });
    // Anchors renumbered in order of first appearance, each backed by references/e-N.md.
    expect(text).toMatch(/Runs failovers for the primary database\. \[e:1\] \[e:2\]/);
    expect(text).toMatch(/## Work[\s\S]*## Persona[\s\S]*## Honest limits[\s\S]*## Disclosure rule\n\n- Speak as the digital avatar of Test Person ops-lead, never as/);
    expect(text).toMatch(/I am not Test Person ops-lead/);
    expect(fs.readdirSync(path.join(out, 'references')).sort()).toEqual(['e-1.md', 'e-2.md']);
    const contact = fs.readFileSync(path.join(out, 'references', 'e-1.md'), 'utf8');
    expect(contact).toMatch(/^---\nanchor: e:1\nsource: contacts.md\n/);
    expect(contact).toMatch(/If the promotion hangs/);
    expect(contact).not.toMatch(/ops\.lead@example\.com/);
    expect(contact).not.toMatch(/555 0199/);
    expect(fs.readFileSync(path.join(out, 'references', 'e-2.md'), 'utf8')).toMatch(/dbctl promote replica-2/);
    const noFormat = await cli(root)('avatar', 'export', 'ops-lead', path.join(root, 'elsewhere'));
    expect(noFormat.stderr).toMatch(/is for --format agent-skill; the zip is written to --out <file>/);
    const badFormat = await cli(root)('avatar', 'export', 'ops-lead', '--format', 'skill', path.join(root, 'elsewhere'));
    expect(badFormat.stderr).toMatch(/--format must be zip or agent-skill, got "skill"/);
    // Not into a folder that holds something.
    const again = await cli(root)('avatar', 'export', 'ops-lead', '--format', 'agent-skill', out);
    expect(again.stderr).toMatch(/is not empty; export into a new or empty folder/);
  });

  it('refuses paused, revoked and consent-less imported avatars', async () => {
    const root = tmpDir();
    const run = cli(root);
    await anchoredAvatar(root);
    expect((await run('avatar', 'pause', 'ops-lead')).code).toBe(0);
    const paused = await run('avatar', 'export', 'ops-lead', '--format', 'agent-skill', path.join(root, 'x'));
    expect(paused.code).toBe(1);
    expect(paused.stderr).toMatch(/ops-lead is paused: a paused avatar cannot be exported/);
    expect(fs.existsSync(path.join(root, 'x'))).toBe(false);
    expect((await run('avatar', 'revoke', 'ops-lead', '--yes')).code).toBe(0);
    const revoked = await run('avatar', 'export', 'ops-lead', '--format', 'agent-skill', path.join(root, 'x'));
    expect(revoked.stderr).toMatch(/ops-lead was revoked: .*cannot be exported/);
    expect((await run('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'))).code).toBe(0);
    const imported = await run('avatar', 'export', 'zhou-min', '--format', 'agent-skill', path.join(root, 'x'));
    expect(imported.stderr).toMatch(/zhou-min has no consent record yet \(imported from colleague-skill "zhou-min"\).*cannot be exported/);
    const audit = await run('audit', '--action', 'export_refused', '--json');
    expect(JSON.parse(audit.stdout)).toHaveLength(3);
  });

  it('round trip: export, import, export again gives the same skill text, anchors and evidence', async () => {
    const a = tmpDir();
    // Twelve anchors: their evidence files sort e-1, e-10, e-11, e-12, e-2... in the new corpus, so
    // the new chunk ids differ from the exported numbers and the anchors must be re-pointed.
    await anchoredAvatar(a, 'ops-lead', 10);
    const first = path.join(a, 'export-1');
    expect((await cli(a)('avatar', 'export', 'ops-lead', '--format', 'agent-skill', first)).code).toBe(0);
    const b = tmpDir();
    // Another index: chunk ids differ, the anchors are re-pointed on import.
    makeAvatar(b, 'filler', { 'a.md': '# A\n\nSomething else entirely, to shift the chunk ids.\n', 'b.md': '# B\n\nMore of it.\n' });
    const imp = await cli(b)('avatar', 'import', first, '--json');
    expect(imp.stderr).not.toMatch(/understudy:/);
    expect(JSON.parse(imp.stdout)[0]).toMatchObject({ slug: 'ops-lead', format: 'agent-skill', anchors: 12, status: 'paused' });
    const shown = (await cli(b)('skill', 'show', 'ops-lead', '--evidence')).stdout;
    const evidenceOf = (claim: RegExp) => {
      const id = claim.exec(shown)?.[1];
      return new RegExp(`\\[e:${id}\\] (\\S+)`).exec(shown.slice(shown.indexOf('## Evidence')))?.[1];
    };
    expect(evidenceOf(/before drill 2\. \[e:(\d+)\]/)).toBe('references/e-4.txt');
    expect(evidenceOf(/escalate by mail and phone\. \[e:(\d+)\]/)).toBe('references/e-1.txt');
    expect(yamlOf(b, 'ops-lead')).toMatchObject({ consent_pending: { source: 'agent-skill' }, person: { name: 'Test Person ops-lead', title: 'Engineer', team: 'Platform' } });
    expect((await cli(b)('skill', 'check', 'ops-lead', '--json')).stdout).toMatch(/"unresolvedAnchors": \[\]/);
    expect((await cli(b)('avatar', 'consent', 'ops-lead', '--basis', 'policy', '--approved-by', 'admin', '--reason', 'round trip test')).code).toBe(0);
    const second = path.join(b, 'export-2');
    expect((await cli(b)('avatar', 'export', 'ops-lead', '--format', 'agent-skill', second)).code).toBe(0);
    expect(fs.readFileSync(path.join(second, 'SKILL.md'), 'utf8')).toBe(fs.readFileSync(path.join(first, 'SKILL.md'), 'utf8'));
    const body = (f: string) => f.replace(/^---\n[\s\S]*?\n---\n/, '');
    expect(fs.readdirSync(path.join(second, 'references'))).toHaveLength(12);
    for (const ref of fs.readdirSync(path.join(first, 'references'))) {
      expect(body(fs.readFileSync(path.join(second, 'references', ref), 'utf8'))).toBe(body(fs.readFileSync(path.join(first, 'references', ref), 'utf8')));
    }
  });
});

describe('an imported avatar in Slack', () => {
  let h: SlackHarness | undefined;
  afterEach(async () => h?.close());

  it('answers that it waits for consent, and /avatar resume says consent must be recorded first', async () => {
    const root = slackWorkspace();
    expect((await cli(root)('avatar', 'import', path.join(COLLEAGUES, 'zhou-min'))).code).toBe(0);
    h = await startSlack({ root, env: { UNDERSTUDY_ADMINS: 'slack:U_ADMIN' } });
    await h.send(slashCommand('/avatar', 'resume zhou-min', { user: 'U_ADMIN' }), { form: true });
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_ASK', user: 'U_ASK', text: '@zhou-min-avatar when does the weekly train leave?' }));
    await h.idle();
    const shown = shownText(h.fake.calls);
    expect(shown).toMatch(/@zhou-min-avatar was imported without a consent record and stays paused until one is recorded/);
    expect(shown).toMatch(/The digital avatar of Zhou Min was imported and is waiting for Zhou Min's consent/);
    expect(shown).not.toMatch(/CONSENT_REQUIRED/);
    expect(yamlOf(root, 'zhou-min').status).toBe('paused');
  });
});
