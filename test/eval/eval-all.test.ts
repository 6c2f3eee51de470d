import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { bm25Baselines } from '../../src/eval/baselines';
import { fileRank, metrics, type EvalRow } from '../../src/eval/qa';
import { formatEvalAll } from '../../src/eval/report';
import { defaultTargets, heldOutTargets, type SetResult } from '../../src/eval/run-all';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';

describe('npm run eval: sets, splits and baselines', () => {
  it('reads held-out sets from eval/qa/heldout with their targets, apart from the dev sets', () => {
    const repo = tmpDir('eval-repo-');
    write(repo, 'eval/qa/heldout/pg.jsonl', '{"question":"q","answerable":false}\n');
    write(repo, 'eval/qa/heldout/pg.target.json', JSON.stringify({ name: 'Paul Graham', from: 'paul_graham_essays/essays', lang: 'en' }));
    const targets = defaultTargets(repo);
    expect(targets.filter((t) => t.split === 'dev').map((t) => t.slug)).toEqual(['lao-zhang', 'lin-xiaoyu', 'allen-p', 'ruanyf', 'paul-graham', 'heather-turner', 'lluis-revilla', 'micah-stubbs']);
    // The English-prose dev set is built exactly like the held-out paul-graham avatar (same slug, corpus and language).
    const pgDev = targets.find((t) => t.split === 'dev' && t.slug === 'paul-graham');
    expect(pgDev?.qa).toBe(path.join(repo, 'eval/qa/paul-graham-dev.jsonl'));
    expect(pgDev?.create).toEqual({ name: 'Paul Graham', from: path.resolve(repo, '..', 'shared', 'corpora', 'paul_graham_essays'), lang: 'en', exclude: ['SOURCE.txt'] });
    expect(targets.filter((t) => t.split === 'held-out')).toEqual([
      expect.objectContaining({ slug: 'pg', create: expect.objectContaining({ name: 'Paul Graham', from: path.resolve(repo, '..', 'shared', 'corpora', 'paul_graham_essays/essays'), lang: 'en' }) }),
    ]);
  });

  it('names the file and field of a bad held-out target', () => {
    const dir = tmpDir('heldout-');
    write(dir, 'x.jsonl', '');
    expect(() => heldOutTargets(dir, '/corpora')).toThrow(/x\.target\.json: cannot read the held-out target/);
    write(dir, 'x.target.json', JSON.stringify({ name: 'X', from: 3 }));
    expect(() => heldOutTargets(dir, '/corpora')).toThrow(/x\.target\.json: fields "name" and "from"/);
    write(dir, 'x.target.json', JSON.stringify({ name: 'X', from: 'a', lang: 'fr' }));
    expect(() => heldOutTargets(dir, '/corpora')).toThrow(/field "lang"/);
  });

  it('ranks distinct files: a file repeated by several chunks counts once', () => {
    expect(fileRank(['a.md', 'a.md', 'a.md', 'b.md'], ['b.md'])).toBe(2);
    expect(fileRank(['a', 'b', 'c', 'd', 'e', 'f'], ['f'])).toBe(0);
    expect(fileRank(['export/general/2020-01-01.json'], ['export/general'])).toBe(1);
  });

  it('computes file- and chunk-level BM25 from the same chunk store', async () => {
    const root = tmpDir('eval-bm25-');
    makeAvatar(root, 'lz', {
      'rollback.md': '# Rollback\n\nRoll back with deployctl rollback billing-gateway.\n',
      'pool.md': '# Pool\n\nThe pgbouncer pool allows 400 connections.\n',
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    await svc.ingest('lz');
    const [file, chunk] = bm25Baselines(svc.index('lz').chunkStore());
    expect(file.label).toBe('file-level BM25');
    expect(file.rank('pgbouncer connections', 5)[0]).toBe('pool.md');
    expect(chunk.rank('deployctl rollback', 5)[0]).toBe('rollback.md');
    svc.close();
  });

  it('prints dev and held-out apart, ours beside both baselines, with abstention only for ours', () => {
    const item = (answerable: boolean, paraphrase = false): EvalRow['item'] => ({ question: 'q', answerable, sources: answerable ? ['a'] : [], keywords: [], paraphrase });
    const rows: EvalRow[] = [
      { item: item(true), rank: 1, grounded: true, hedged: false, got: ['a'] },
      { item: item(true, true), rank: 0, grounded: false, hedged: false, got: ['b'] },
      { item: item(false), rank: 0, grounded: false, hedged: false, got: [] },
    ];
    const rep = (label: string) => ({ label, mode: 'hybrid' as const, expansion: true, all: metrics(rows), paraphrase: metrics(rows.filter((r) => r.item.paraphrase)), crosslingual: metrics([]), misses: [] });
    const set = (slug: string, split: 'dev' | 'held-out'): SetResult => ({
      slug, split, chunks: 10, files: 3, keywordHit: { hits: 1, of: 2 },
      reports: [rep('ours: hybrid (default)'), rep('ours: lexical only'), rep('file-level BM25'), rep('chunk-level BM25')],
    });
    const out = formatEvalAll([set('lao-zhang', 'dev'), set('paul-graham', 'held-out')]);
    expect(out.indexOf('DEV')).toBeLessThan(out.indexOf('== lao-zhang'));
    expect(out.indexOf('HELD-OUT')).toBeLessThan(out.indexOf('== paul-graham'));
    expect(out.indexOf('== lao-zhang')).toBeLessThan(out.indexOf('HELD-OUT'));
    expect(out).toMatch(/ours: hybrid \(default\)\s+50\.0%\s+50\.0%\s+0\.500\s+0\.0%\s+50\.0%\s+100\.0%/);
    expect(out).toMatch(/file-level BM25 .*—\s+—\s+—/);
    expect(out).toMatch(/keyword hit of offline answers: 50\.0% \(1\/2\)/);
    expect(out).toMatch(/paul-graham\s+held-out/);
  });
});
