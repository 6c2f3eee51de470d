import fs from 'node:fs';
import path from 'node:path';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { writeFileAtomic } from '../../src/util/fs-atomic';
import { runCli } from '../helpers/cli';
import { tmpDir, write } from '../helpers/fixtures';

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

/** Everything below `root` (itself included), with its permission bits. */
function tree(root: string): { path: string; dir: boolean; mode: number }[] {
  const out = [{ path: root, dir: true, mode: mode(root) }];
  for (const name of fs.readdirSync(root)) {
    const p = path.join(root, name);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) out.push(...tree(p));
    else if (st.isFile()) out.push({ path: p, dir: false, mode: st.mode & 0o777 });
  }
  return out;
}

/** Under a permissive umask (the usual 022), what we create must still be private. */
describe('security: private file modes', () => {
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });

  it('creates the data dir 0700 and the state database (and its WAL files) 0600', async () => {
    const root = tmpDir('modes-');
    const file = path.join(root, 'data', 'state.db');
    const s = new SqliteStateStore(file);
    await s.audit({ actor: 'system', action: 'test' });
    expect(mode(path.join(root, 'data'))).toBe(0o700);
    for (const f of fs.readdirSync(path.join(root, 'data'))) expect([f, mode(path.join(root, 'data', f))]).toEqual([f, 0o600]);
    s.close();
  });

  it('tightens a state database that an older version left world-readable', () => {
    const root = tmpDir('modes-');
    const file = path.join(root, 'state.db');
    new SqliteStateStore(file).close();
    fs.chmodSync(file, 0o644);
    new SqliteStateStore(file).close();
    expect(mode(file)).toBe(0o600);
  });

  it('writes atomic files 0600 in new 0700 folders', () => {
    const root = tmpDir('modes-');
    const file = path.join(root, 'a', 'b', 'x.json');
    writeFileAtomic(file, '{}');
    expect(mode(file)).toBe(0o600);
    expect(mode(path.join(root, 'a'))).toBe(0o700);
    expect(mode(path.join(root, 'a', 'b'))).toBe(0o700);
  });

  it('avatar create + ingest: corpus copies, indexes and state are private, whatever the source modes', async () => {
    const cwd = tmpDir('modes-cli-');
    const src = write(cwd, 'notes/rollback.md', '# Rollback\n\nIf it touches money, roll back first.\n');
    write(cwd, 'notes/deep/deploy.md', '# Deploy\n\nCanary 5%, 25%, 50%, then 100%.\n');
    fs.chmodSync(src, 0o644);
    const created = await runCli(['avatar', 'create', 'lao-zhang', '--name', 'Lao Zhang', '--from', path.join(cwd, 'notes')], { cwd });
    expect(created.code).toBe(0);
    const corpus = path.join(cwd, 'avatars', 'lao-zhang', 'corpus');
    const data = path.join(cwd, 'data');
    const open = [...tree(corpus), ...tree(data)].filter((e) => (e.mode & 0o077) !== 0);
    expect(open).toEqual([]);
    expect(mode(corpus)).toBe(0o700);
    expect(mode(path.join(corpus, 'notes', 'rollback.md'))).toBe(0o600);
    expect(mode(data)).toBe(0o700);
  });
});
