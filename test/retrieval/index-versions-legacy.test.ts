import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { indexRoot, readPointer } from '../../src/retrieval/index-versions';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const ROLLBACK = '# Rollback\n\nRoll back first, debug later: `deployctl rollback billing-gateway --to v2.14.2`.\n';
const INDEX_FILES = ['chunks.db', 'index.json', 'lexical.bin'];

/**
 * The eval keeps its avatar packages in data/eval/avatars/<slug>/ with data/eval as the data
 * directory, so the index layout before versions (<data>/avatars/<slug>/) is the package folder
 * itself: avatar.yaml, corpus/ and the index files side by side.
 */
describe('migrating an index of the layout before versions out of a folder it shares with the avatar package', () => {
  it('moves only the index files into a version: the package stays whole and search works', async () => {
    const root = tmpDir('legacy-');
    const dataDir = path.join(root, 'data');
    // avatarsDir = <data>/avatars: the package lives where the old index did.
    const pkgDir = makeAvatar(dataDir, 'lz', { 'rollback.md': ROLLBACK });
    fs.writeFileSync(path.join(pkgDir, 'skill.md'), '# Skill\n\nRoll back first.\n');
    const open = (): AvatarService => new AvatarService({ avatarsDir: path.join(dataDir, 'avatars'), dataDir, embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });

    // Build an index, then put its files where the old layout kept them and drop the versions.
    const first = open();
    await first.ingest('lz');
    first.close();
    const built = indexRoot(dataDir, 'lz');
    const version = readPointer(built)?.version as string;
    for (const name of fs.readdirSync(path.join(built, version))) {
      if (INDEX_FILES.includes(name) || name === 'vectors.hnsw') fs.renameSync(path.join(built, version, name), path.join(pkgDir, name));
    }
    fs.rmSync(built, { recursive: true });
    const before = fs.readdirSync(pkgDir).sort();
    expect(before).toEqual(expect.arrayContaining(['avatar.yaml', 'corpus', 'skill.md', ...INDEX_FILES]));

    const svc = open();
    try {
      const r = await svc.index('lz').search('deployctl rollback billing-gateway');
      expect(r.hits[0]?.chunk.source).toBe('rollback.md');
      // The package is whole; the index files moved out of it.
      const after = fs.readdirSync(pkgDir).sort();
      expect(after).toEqual(expect.arrayContaining(['avatar.yaml', 'corpus', 'skill.md']));
      for (const name of INDEX_FILES) expect(after).not.toContain(name);
      expect(fs.readFileSync(path.join(pkgDir, 'corpus', 'rollback.md'), 'utf8')).toBe(ROLLBACK);
      // ...into the published version, and only them.
      const migrated = readPointer(built)?.version as string;
      const inVersion = fs.readdirSync(path.join(built, migrated));
      expect(inVersion).toEqual(expect.arrayContaining(INDEX_FILES));
      for (const name of ['avatar.yaml', 'corpus', 'skill.md']) expect(inVersion).not.toContain(name);
      // A package that still loads: a second service finds the avatar and the migrated index.
      const again = open();
      expect(again.registry.list().map((p) => p.config.slug)).toContain('lz');
      expect((await again.index('lz').search('deployctl rollback')).hits[0]?.chunk.source).toBe('rollback.md');
      again.close();
    } finally {
      svc.close();
    }
  });
});
