import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const ROLLBACK = '# Rollback\n\nRoll back first, debug later: `deployctl rollback billing-gateway --to v2.14.2`.\n';

/** Some dozens of documents, so chunks.db spans many pages. */
function docs(n: number): Record<string, string> {
  const files: Record<string, string> = { 'rollback.md': ROLLBACK };
  for (let i = 0; i < n; i++) files[`notes/n${i}.md`] = `# Note ${i}\n\n${`Service ${i} owns queue q${i} and pages team t${i % 7}. `.repeat(40)}\n`;
  return files;
}

/** Overwrite a run of bytes in the middle of a file, as a bad disk or a torn copy would. */
function damageMiddle(file: string, bytes = 16384): void {
  const buf = fs.readFileSync(file);
  const start = Math.floor(buf.length / 2);
  for (let i = start; i < Math.min(buf.length, start + bytes); i++) buf[i] = (i * 31 + 7) & 0xff;
  fs.writeFileSync(file, buf);
}

async function ingested(): Promise<{ root: string; chunks: string }> {
  const root = tmpDir('corrupt-');
  makeAvatar(root, 'lz', docs(60));
  const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  await svc.ingest('lz');
  const chunks = svc.index('lz').files.chunks;
  svc.close();
  return { root, chunks };
}

describe('a damaged chunks.db', () => {
  it('search exits 1 naming the file and the command that repairs it', async () => {
    const { root, chunks } = await ingested();
    damageMiddle(chunks);
    const r = await runCli(['search', 'lz', 'deployctl rollback'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(chunks);
    expect(r.stderr).toMatch(/damaged/);
    expect(r.stderr).toMatch(/understudy ingest lz`/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a plain ingest detects the damage, rebuilds from the corpus and says so; search works again', async () => {
    const { root, chunks } = await ingested();
    damageMiddle(chunks);
    const r = await runCli(['ingest', 'lz'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/repaired: .*chunks\.db was damaged; rebuilt from the corpus/);
    expect(r.stdout).toMatch(/files read:\s+61/);
    const s = await runCli(['search', 'lz', 'deployctl rollback billing-gateway', '--json'], { cwd: root });
    expect(s.code).toBe(0);
    expect((JSON.parse(s.stdout) as { source: string }[])[0].source).toBe('rollback.md');
  });

  it('a chunks.db that is not a database at all is rebuilt the same way', async () => {
    const { root, chunks } = await ingested();
    fs.writeFileSync(chunks, Buffer.alloc(64 * 1024, 'this is not sqlite '));
    fs.rmSync(`${chunks}-wal`, { force: true });
    const r = await runCli(['ingest', 'lz'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/repaired:/);
    expect((await runCli(['search', 'lz', 'deployctl rollback'], { cwd: root })).stdout).toMatch(/rollback\.md/);
  });
});

describe('a damaged state.db', () => {
  async function workspace(): Promise<{ root: string; state: string }> {
    const root = tmpDir('state-corrupt-');
    makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    // Some conversations and audit entries, so the file has more than a few pages.
    const state = path.join(root, 'data', 'state.db');
    const s = new SqliteStateStore(state);
    for (let i = 0; i < 400; i++) {
      await s.appendTurn(`c${i}`, 'lz', { role: 'user', text: `question ${i} `.repeat(20), at: new Date().toISOString() });
      await s.audit({ actor: 'slack:U1', action: 'ask', avatar: 'lz', detail: { question: `question ${i}` } });
    }
    s.close();
    return { root, state };
  }

  it('every command that needs it stops with one message naming the file, what it holds and what to run', async () => {
    const { root, state } = await workspace();
    damageMiddle(state);
    for (const argv of [['avatar', 'list'], ['ask', 'lz', 'how do I roll back?']]) {
      const r = await runCli(argv, { cwd: root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(state);
      expect(r.stderr).toMatch(/damaged/);
      expect(r.stderr).toMatch(/conversations, consent records and the audit log/);
      expect(r.stderr).toMatch(/understudy state move-aside/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // Left exactly as it was: never deleted or replaced on its own.
    expect(fs.existsSync(state)).toBe(true);
    expect(fs.readdirSync(path.dirname(state)).filter((n) => n.includes('corrupt'))).toEqual([]);
  });

  it('a state.db that is not a database (header gone) gets the same message, not an internal error', async () => {
    const { root, state } = await workspace();
    const buf = fs.readFileSync(state);
    buf.fill(0, 0, 100);
    fs.writeFileSync(state, buf);
    const r = await runCli(['avatar', 'list'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(state);
    expect(r.stderr).toMatch(/understudy state move-aside/);
  });

  it('--help and --version still work', async () => {
    const { root, state } = await workspace();
    damageMiddle(state);
    expect((await runCli(['--help'], { cwd: root })).code).toBe(0);
    expect((await runCli(['--version'], { cwd: root })).code).toBe(0);
  });

  it('`state check` reports it; `state move-aside` moves it to state.db.corrupt-<time> and commands work again', async () => {
    const { root, state } = await workspace();
    const healthy = await runCli(['state', 'check'], { cwd: root });
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toMatch(/state\.db is intact/);
    const refused = await runCli(['state', 'move-aside'], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/intact.*not moved/);

    damageMiddle(state);
    const bytes = fs.readFileSync(state);
    const check = await runCli(['state', 'check'], { cwd: root });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/damaged/);
    const moved = await runCli(['state', 'move-aside'], { cwd: root });
    expect(moved.code).toBe(0);
    const aside = fs.readdirSync(path.dirname(state)).filter((n) => /^state\.db\.corrupt-\d{8}T\d{6}Z$/.test(n));
    expect(aside).toHaveLength(1);
    expect(moved.stdout).toContain(aside[0]);
    expect(fs.readFileSync(path.join(path.dirname(state), aside[0])).equals(bytes)).toBe(true);
    expect(fs.existsSync(state)).toBe(false);
    // The audit anchor went with the chain it anchors, so the fresh chain verifies.
    expect(fs.existsSync(path.join(path.dirname(state), 'audit.anchor.json'))).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(state), `${aside[0]}.audit.anchor.json`))).toBe(true);
    const list = await runCli(['avatar', 'list'], { cwd: root });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^lz /m);
    const verify = await runCli(['audit', '--verify'], { cwd: root });
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });
});
