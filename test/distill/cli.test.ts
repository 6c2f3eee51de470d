import fs from 'node:fs';
import path from 'node:path';
import { proposeCorrection } from '../../src/distill/corrections';
import { createRuntime } from '../../src/app/runtime';
import { runCli } from '../helpers/cli';
import { corpus, itCorpora } from '../helpers/corpora';
import { tmpDir } from '../helpers/fixtures';

describe('understudy distill (offline, from exports)', () => {
  itCorpora("distils Phillip Allen from his real sent mail with a policy basis, anchored and versioned", async () => {
    const cwd = tmpDir('distill-');
    const res = await runCli(
      ['distill', 'allen-p', '--name', 'Phillip Allen', '--from', corpus('enron_maildir_sent/maildir/allen-p/sent_items'), '--author', 'k..allen@enron.com,phillip.allen@enron.com', '--basis', 'policy', '--approved-by', 'Records Office', '--reason', 'research corpus, sender departed', '--departed', '--json'],
      { cwd },
    );
    expect(res.stderr).not.toMatch(/understudy:/);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ slug: 'allen-p', created: true, version: 1 });
    expect(out.ingest.totalChunks).toBeGreaterThan(200);
    expect(out.quality.unresolvedAnchors).toEqual([]);
    const skill = fs.readFileSync(path.join(cwd, 'avatars/allen-p/skill.md'), 'utf8');
    expect(skill).toMatch(/^# Skill: Phillip Allen/m);
    expect(skill).toMatch(/## Work[\s\S]*## Persona[\s\S]*## Honest limits[\s\S]*## Corrections/);
    expect((skill.match(/\[e:\d+\]/g) ?? []).length).toBeGreaterThan(10);
    expect(fs.readFileSync(path.join(cwd, 'avatars/allen-p/avatar.yaml'), 'utf8')).toMatch(/basis: policy[\s\S]*approved_by: Records Office/);

    const show = await runCli(['skill', 'show', 'allen-p', '--evidence'], { cwd });
    expect(show.stdout).toMatch(/## Evidence\n\n\[e:\d+\] sent_items\/\d+\. </);
    expect(show.stdout).not.toMatch(/does not resolve/);
    const check = await runCli(['skill', 'check', 'allen-p'], { cwd });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/Responsibilities|Procedures/);
    expect(check.stdout).toMatch(/Verdict: anchored and specific/);
    expect(skill).not.toMatch(/\*\*(San Marcos|Kerrville|Pauline Kuo)\*\*/);

    // A Systems section of his private life (what the offline synthesis used to write) is caught.
    const rt = createRuntime({ LOG_LEVEL: 'silent' }, {}, { cwd });
    const ids = (needle: string): string => {
      const found: number[] = [];
      for (const c of rt.service.index('allen-p').chunkStore().iterateChunks()) if (c.text.includes(needle) && found.length < 3) found.push(c.id);
      return found.map((id) => `[e:${id}]`).join(' ');
    };
    const bad = [
      `- **San Marcos** — 6 messages, 2001-06 to 2001-11: “I am planning to build a home in San Marcos as soon as I can decide on a builder and materials.” ${ids('San Marcos')}`,
      `- **Kerrville** — 3 messages, 2001-11: “The lot in Kerrville is substantially more expensive than our lot in San Marcos.” ${ids('Kerrville')}`,
      `- **Pauline Kuo** — 3 messages, 2001-09: “If you can believe it I have been unable to get with Pauline Kuo to sign all the agreements.” ${ids('Pauline Kuo')}`,
    ].join('\n');
    rt.close();
    fs.writeFileSync(path.join(cwd, 'avatars/allen-p/skill.md'), skill.replace(/### Systems owned\n[\s\S]*?\n### /, `### Systems owned\n\n${bad}\n\n### `));
    const caught = await runCli(['skill', 'check', 'allen-p'], { cwd });
    expect(caught.stdout).toMatch(/Work\/Systems owned .*HOLLOW: not work systems: San Marcos \(place\), Kerrville \(place\), Pauline Kuo \(person\)/);
    expect(caught.stdout).toMatch(/Verdict: hollow skill/);
  }, 120_000);

  itCorpora('distils one user of a real Slack export, then re-distils, diffs and rolls back', async () => {
    const cwd = tmpDir('distill-');
    const user = 'U01DZUA88S1';
    const base = ['distill', 'r-user', '--name', 'R contributor', '--from', corpus('slack_export_r_contributors'), '--author', user, '--basis', 'consent', '--approved-by', 'R contributor'];
    const first = await runCli([...base, '--json'], { cwd });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).ingest.totalChunks).toBeGreaterThan(20);
    const again = await runCli([...base, '--json'], { cwd });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).version).toBe(2);
    // A re-run on the same export updates its copy in place: no second copy, same chunks.
    expect(fs.readdirSync(path.join(cwd, 'avatars/r-user/corpus')).filter((n) => !n.startsWith('.'))).toEqual(['slack_export_r_contributors']);
    expect(JSON.parse(again.stdout).ingest.totalChunks).toBe(JSON.parse(first.stdout).ingest.totalChunks);
    const versions = await runCli(['skill', 'versions', 'r-user'], { cwd });
    expect(versions.stdout).toMatch(/001 .* distill[\s\S]*002 .* redistill/);
    const diff = await runCli(['skill', 'diff', 'r-user', '1', '2'], { cwd });
    expect(diff.code).toBe(0);
    const rb = await runCli(['skill', 'rollback', 'r-user', '1'], { cwd });
    expect(rb.stdout).toMatch(/saved as version 3/);
    expect(fs.readFileSync(path.join(cwd, 'avatars/r-user/skill.md'), 'utf8')).toBe(fs.readFileSync(path.join(cwd, 'avatars/r-user/versions/001/skill.md'), 'utf8'));
  }, 120_000);

  it('keeps a different source of the same name beside the first, and the corpus names no operator folders', async () => {
    const cwd = tmpDir('distill-');
    const user = 'U01DZUA88S1';
    const base = ['distill', 'r-user', '--name', 'R contributor', '--author', user, '--basis', 'consent', '--approved-by', 'R contributor', '--json'];
    expect((await runCli([...base, '--from', corpus('slack_export_r_contributors')], { cwd })).code).toBe(0);
    // Another export that happens to have the same folder name: one channel of it.
    const other = path.join(tmpDir('other-'), 'slack_export_r_contributors');
    for (const f of ['users.json', 'channels.json', 'core-dev-help']) fs.cpSync(path.join(corpus('slack_export_r_contributors'), f), path.join(other, f), { recursive: true });
    expect((await runCli([...base, '--from', other], { cwd })).code).toBe(0);
    expect((await runCli([...base, '--from', other], { cwd })).code).toBe(0);
    const dir = path.join(cwd, 'avatars/r-user/corpus');
    expect(fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort()).toEqual(['slack_export_r_contributors', 'slack_export_r_contributors-2']);
    expect(fs.readFileSync(path.join(dir, '.origins.json'), 'utf8')).not.toMatch(/\//);
  }, 120_000);

  it('refuses to distil without a consent record, naming the flags', async () => {
    const cwd = tmpDir('distill-');
    const none = await runCli(['distill', 'x', '--name', 'X', '--from', cwd], { cwd });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/needs a consent record: --basis/);
    const policy = await runCli(['distill', 'x', '--name', 'X', '--from', cwd, '--basis', 'policy', '--approved-by', 'HR'], { cwd });
    expect(policy.stderr).toMatch(/--basis policy needs --reason/);
  });

  itCorpora('creates no avatar when the author has no messages', async () => {
    const cwd = tmpDir('distill-');
    const res = await runCli(['distill', 'nobody', '--name', 'Nobody', '--from', corpus('slack_export_r_contributors'), '--author', 'U_NOT_THERE', '--basis', 'self'], { cwd });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/No messages or documents of Nobody were found/);
    expect(fs.existsSync(path.join(cwd, 'avatars/nobody'))).toBe(false);
  });

  it('approves a correction into the skill as a new version, and revokes and exports from the CLI', async () => {
    const cwd = tmpDir('distill-');
    fs.mkdirSync(path.join(cwd, 'notes'));
    fs.writeFileSync(path.join(cwd, 'notes/runbook.md'), '# Deploys\n\nAlways run `deployctl preflight` first, then `deployctl release`. If it touches money, roll back first.\n');
    expect((await runCli(['distill', 'me', '--name', 'Me Myself', '--from', path.join(cwd, 'notes'), '--basis', 'self'], { cwd })).code).toBe(0);
    const rt = createRuntime({ LOG_LEVEL: 'silent' }, { avatarsDir: path.join(cwd, 'avatars'), dataDir: path.join(cwd, 'data') });
    const id = await proposeCorrection(rt.service.store, 'me', 'I never say "leverage"; I say "use".', 'slack:U_PEER');
    rt.close();
    expect((await runCli(['skill', 'corrections', 'me'], { cwd })).stdout).toMatch(new RegExp(`#${id} .*leverage`));
    expect((await runCli(['skill', 'approve', 'me', String(id)], { cwd })).stdout).toMatch(/saved as version 2/);
    expect(fs.readFileSync(path.join(cwd, 'avatars/me/skill.md'), 'utf8')).toMatch(/## Corrections\n\n- I never say "leverage"; I say "use". \(approved correction\)/);
    const exp = await runCli(['avatar', 'export', 'me', '--out', 'me.zip'], { cwd });
    expect(exp.code).toBe(0);
    expect(fs.statSync(path.join(cwd, 'me.zip')).size).toBeGreaterThan(100);
    expect((await runCli(['avatar', 'revoke', 'me'], { cwd })).code).toBe(1);
    const rev = await runCli(['avatar', 'revoke', 'me', '--yes'], { cwd });
    expect(rev.stdout).toMatch(/Revoked me/);
    expect(fs.existsSync(path.join(cwd, 'avatars/me/corpus'))).toBe(false);
    const ask = await runCli(['ask', 'me', 'how do I deploy?'], { cwd });
    expect(ask.stderr).toMatch(/revoked and is not answering anyone/);
    const audit = await runCli(['audit', '--verify'], { cwd });
    expect(audit.stdout).toMatch(/Audit log intact: \d+ entries/);
  }, 60_000);
});
