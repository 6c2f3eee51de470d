import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

// The first test spawns the built CLI: run `npm run build` first.
const BIN = path.resolve(__dirname, '../../bin/understudy.js');
const DEMO = path.resolve(__dirname, '../../avatars');
const QUESTION = 'What happened in the 2025-11-11 incident and what did we change afterwards?';

interface Cite {
  avatar: string;
  n: number;
  source: string;
  locator: string;
}
interface Point {
  text: string;
  citations: Cite[];
}
interface MeetingOut {
  answers: { avatar: string; text: string; grounded: boolean; label: string; citations: { n: number; source: string; locator: string; visibility: string }[] }[];
  left_out: { avatar: string; reason: string; note: string }[];
  synthesis: { method: string; note: string; agree: Point[]; differ: Point[]; gaps: Point[] };
}

/** The demo avatars in a fresh folder, no model configured. */
function demo(): { root: string; env: NodeJS.ProcessEnv } {
  const root = tmpDir('meeting-cli-');
  fs.cpSync(DEMO, path.join(root, 'avatars'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  for (const k of Object.keys(env)) if (k.startsWith('OPENAI_') || k === 'DATABASE_URL' || k === 'REDIS_URL') delete env[k];
  return { root, env };
}

/** A synthesis citation must name a source the avatar's own answer cites under that number. */
function expectResolves(out: MeetingOut, c: Cite): void {
  const answer = out.answers.find((a) => a.avatar === c.avatar);
  expect(answer?.citations.some((x) => x.n === c.n && x.source === c.source && x.locator === c.locator)).toBe(true);
}

describe('understudy meeting', () => {
  it('prints {answers, synthesis} for the demo avatars offline: cited, labelled answers, every agree and differ point cited, and says it is extractive (built CLI)', async () => {
    const { root, env } = demo();
    const run = spawnSync(process.execPath, [BIN, 'meeting', 'lao-zhang', 'lin-xiaoyu', QUESTION, '--json'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    expect([run.status, run.stderr]).toEqual([0, expect.not.stringMatching(/understudy:|Error/)]);
    const out = JSON.parse(run.stdout) as MeetingOut;
    expect(out.answers.map((a) => a.avatar)).toEqual(['lao-zhang', 'lin-xiaoyu']);
    for (const a of out.answers) {
      expect(a.grounded).toBe(true);
      expect(a.text.length).toBeGreaterThan(0);
      expect(a.citations.length).toBeGreaterThan(0);
      expect(a.label).toMatch(/Digital avatar of .* \(not the person\)/);
    }
    expect(out.left_out).toEqual([]);
    const s = out.synthesis;
    expect(s.method).toBe('extractive');
    expect(s.note).toMatch(/^Extractive moderator \(no language model\)/);
    expect(s.agree.length).toBeGreaterThan(0);
    for (const p of [...s.agree, ...s.differ]) {
      expect(p.citations.length).toBeGreaterThan(0);
      for (const c of p.citations) expectResolves(out, c);
    }
    // An agreement rests on both avatars' sources.
    expect(new Set(s.agree[0].citations.map((c) => c.avatar))).toEqual(new Set(['lao-zhang', 'lin-xiaoyu']));
    expect(Array.isArray(s.gaps)).toBe(true);

    // Each avatar's answer is audited like a question, with the sources it showed.
    const audit = spawnSync(process.execPath, [BIN, 'audit', '--action', 'ask', '--json'], { cwd: root, env, encoding: 'utf8' });
    const asks = (JSON.parse(audit.stdout) as { avatar: string; detail: { meeting?: string; sources: string[] } }[]).filter((e) => e.detail.meeting);
    expect(asks.map((e) => e.avatar).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
    for (const e of asks) expect(e.detail.sources.length).toBeGreaterThan(0);
  }, 180_000);

  it('prints the answers, then the synthesis with its sources, for a person to read', async () => {
    const { root, env } = demo();
    const res = await runCli(['meeting', '@lao-zhang-avatar', '@lin-xiaoyu-avatar', QUESTION], { cwd: root, env: { ...env, LOG_LEVEL: 'silent' } });
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/Avatar meeting/);
    expect(out.indexOf('── Lao Zhang ──')).toBeLessThan(out.indexOf('── Sarah Lin ──'));
    expect(out).toMatch(/Digital avatar of Lao Zhang \(not the person\)/);
    expect(out).toMatch(/Moderator's synthesis/);
    expect(out).toMatch(/Where they agree\n• .+ — Lao Zhang \[\d\]/);
    expect(out).toMatch(/Extractive moderator \(no language model\)/);
  }, 120_000);

  it('holds a meeting in Chinese when asked in Chinese: names, sections and the extractive note in Chinese', async () => {
    const { root, env } = demo();
    const res = await runCli(['meeting', 'lao-zhang', 'lin-xiaoyu', '双十一事故之后，发票草稿的生成方式改成了什么？'], { cwd: root, env: { ...env, LOG_LEVEL: 'silent' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/数字分身会议 \(mtg_[0-9a-f]+\)：双十一事故之后/);
    expect(res.stdout).toMatch(/主持人总结：/);
    expect(res.stdout).toMatch(/抽取式主持（未使用语言模型）/);
    expect(res.stdout).toMatch(/一致之处\n• 张建国、林晓雨都谈到了.+ — 张建国 \[\d\], 林晓雨 \[\d\]/);
    expect(res.stdout).toMatch(/分歧之处\n• 只有(张建国|林晓雨)：“/);
  }, 120_000);

  it('refuses six avatars, unknown names and a missing question in one line, exit 1', async () => {
    const root = tmpDir('meeting-six-');
    const slugs = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    for (const s of slugs) makeAvatar(root, s, { 'notes.md': `# Notes of ${s}\n\nDeploys happen on Tuesdays.\n` });
    const cases: [string[], RegExp][] = [
      [['meeting', ...slugs, 'When do deploys happen?'], /at most 5 avatars; you named 6 \(a1, a2, a3, a4, a5, a6\)/],
      [['meeting', 'a1', '@a7', 'When do deploys happen?'], /There is no avatar "a7"/],
      [['meeting', 'a1', 'a2'], /What should they discuss\?/],
      [['meeting', 'a1', 'When do deploys happen?'], /at least 2 avatars/],
    ];
    for (const [argv, message] of cases) {
      const res = await runCli(argv, { cwd: root });
      expect([argv.join(' '), res.code]).toEqual([argv.join(' '), 1]);
      expect(res.stderr).toMatch(message);
    }
    // Nothing was asked, so nothing was indexed.
    expect(fs.existsSync(path.join(root, 'data', 'indexes'))).toBe(false);
  });

  it('leaves out a paused avatar with a note and meets with the rest', async () => {
    const root = tmpDir('meeting-paused-');
    makeAvatar(root, 'ops', { 'deploy.md': '# Deploys\n\nProduction deploys happen on Tuesdays after the change review, with a 5% canary.\n' });
    makeAvatar(root, 'pm', { 'release.md': '# Release train\n\nProduction deploys happen on Tuesdays; product signs off the release notes on Monday.\n' });
    makeAvatar(root, 'gone', { 'x.md': '# Deploys\n\nDeploys happen on Tuesdays.\n' }, 'status: paused\n');
    const res = await runCli(['meeting', 'ops', 'pm', 'gone', 'When do production deploys happen?', '--json'], { cwd: root });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as MeetingOut;
    expect(out.answers.map((a) => a.avatar)).toEqual(['ops', 'pm']);
    expect(out.left_out).toEqual([{ avatar: 'gone', reason: 'paused', note: expect.stringMatching(/is paused and does not take part/) }]);
    expect(res.stderr).toMatch(/left out: .*paused/);
    expect(out.synthesis.agree[0].citations.map((c) => c.avatar).sort()).toEqual(['ops', 'pm']);
  }, 60_000);
});
