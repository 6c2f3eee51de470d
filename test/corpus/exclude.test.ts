import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AvatarService } from '../../src/app/avatar-service';
import { loadAvatarPackage, parseAvatarYaml } from '../../src/avatars/package';
import { loadCorpus } from '../../src/corpus/load';
import { scanCorpus } from '../../src/corpus/scan';
import { defaultTargets, heldOutTargets, openTarget } from '../../src/eval/run-all';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';

const ESSAY = '# How to start\n\nThe way to get startup ideas is to look for problems, preferably problems you have yourself.\n';
const NOTE = 'Data set: essays scraped from the web by a benchmark project; provenance and licence of the startup ideas collection.\n';
const DRAFT = '# Draft\n\nAn unfinished note about hiring slowly and the startup ideas it never reached.\n';

function service(root: string): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
}

const reason = (glob: string): string => `excluded by avatar.yaml exclude: ${glob}`;

function setExclude(dir: string, exclude: string[] | undefined): void {
  const file = path.join(dir, 'avatar.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (exclude) doc.exclude = exclude;
  else delete doc.exclude;
  fs.writeFileSync(file, YAML.stringify(doc));
}

describe('avatar.yaml exclude', () => {
  it('is validated with the file and the field named', () => {
    const base = 'slug: pg\nhandle: pg-avatar\ndisplay_name: PG\nperson:\n  name: PG\n  status: active\n';
    expect(parseAvatarYaml(`${base}exclude: [SOURCE.txt, 'drafts/**']\n`, 'avatars/pg/avatar.yaml').exclude).toEqual(['SOURCE.txt', 'drafts/**']);
    expect(parseAvatarYaml(base, 'avatars/pg/avatar.yaml').exclude).toBeUndefined();
    expect(() => parseAvatarYaml(`${base}exclude: SOURCE.txt\n`, 'avatars/pg/avatar.yaml')).toThrow(/^avatars\/pg\/avatar\.yaml: field exclude: .*expected array, received string/i);
    expect(() => parseAvatarYaml(`${base}exclude: [SOURCE.txt, 3]\n`, 'avatars/pg/avatar.yaml')).toThrow(/^avatars\/pg\/avatar\.yaml: field exclude\.1: .*expected string, received number/i);
    expect(() => parseAvatarYaml(`${base}exclude: ['']\n`, 'avatars/pg/avatar.yaml')).toThrow(/field exclude\.0: must be a non-empty glob/);
    expect(() => parseAvatarYaml(`${base}exclude: [/etc/passwd]\n`, 'avatars/pg/avatar.yaml')).toThrow(/field exclude\.0: must be relative to the corpus folder/);
    expect(() => parseAvatarYaml(`${base}exclude: ['../x']\n`, 'avatars/pg/avatar.yaml')).toThrow(/field exclude\.0: must stay inside the corpus folder/);
  });

  it('leaves matching files and folders out of a scan and reports each with its glob', async () => {
    const root = tmpDir('exclude-scan-');
    write(root, 'essays/start.md', ESSAY);
    write(root, 'essays/SOURCE.txt', NOTE);
    write(root, 'SOURCE.txt', NOTE);
    write(root, 'drafts/a.md', DRAFT);
    write(root, 'drafts/b.md', DRAFT);
    write(root, 'essays/SOURCE.txt.md', ESSAY);
    const { entries, skipped } = scanCorpus(root, { exclude: ['SOURCE.txt', 'drafts/**'] });
    // A glob with no `/` matches a name at any depth, and only the whole name.
    expect(entries.map((e) => e.path)).toEqual(['essays/SOURCE.txt.md', 'essays/start.md']);
    expect(skipped).toEqual([
      { path: 'SOURCE.txt', reason: reason('SOURCE.txt') },
      { path: 'drafts', reason: reason('drafts/**') },
      { path: 'essays/SOURCE.txt', reason: reason('SOURCE.txt') },
    ]);
    expect(scanCorpus(root).entries).toHaveLength(6);
    const loaded = await loadCorpus(root, { exclude: ['essays/*.txt'] });
    expect(loaded.units.map((u) => u.source)).not.toContain('essays/SOURCE.txt');
    expect(loaded.skipped).toContainEqual({ path: 'essays/SOURCE.txt', reason: reason('essays/*.txt') });
    // A single file as the corpus root is matched by its name.
    expect(scanCorpus(path.join(root, 'SOURCE.txt'), { exclude: ['SOURCE.txt'] })).toEqual({ entries: [], skipped: [{ path: 'SOURCE.txt', reason: reason('SOURCE.txt') }] });
  });

  it('reports a non-JSON file of a Slack export that a glob matches as excluded', () => {
    const root = tmpDir('exclude-slack-');
    write(root, 'acme/users.json', '[]');
    write(root, 'acme/channels.json', '[]');
    write(root, 'acme/SOURCE.txt', NOTE);
    write(root, 'acme/notes.txt', NOTE);
    const { skipped } = scanCorpus(root, { exclude: ['SOURCE.txt'] });
    expect(skipped).toEqual([
      { path: 'acme/SOURCE.txt', reason: reason('SOURCE.txt') },
      { path: 'acme/notes.txt', reason: 'inside a Slack export folder: only its JSON files are read' },
    ]);
  });

  it('leaves a channel (or one day) of a Slack export out when a glob names it', () => {
    const root = tmpDir('exclude-slack-channel-');
    write(root, 'acme/users.json', '[]');
    write(root, 'acme/channels.json', '[]');
    write(root, 'acme/general/2020-09-13.json', '[]');
    write(root, 'acme/hr/2020-09-13.json', '[]');
    write(root, 'acme/hr/2020-09-14.json', '[]');
    const files = (exclude: string[]): string[] => (scanCorpus(root, { exclude }).entries[0].files ?? []).map((f) => path.relative(root, f)).sort();
    // Before, the globs were only matched against the export's non-JSON files: hr stayed indexed.
    expect(files(['acme/hr'])).toEqual(['acme/channels.json', 'acme/general/2020-09-13.json', 'acme/users.json']);
    expect(scanCorpus(root, { exclude: ['acme/hr'] }).skipped.map((s) => s.path)).toEqual(['acme/hr/2020-09-13.json', 'acme/hr/2020-09-14.json']);
    expect(files(['acme/hr/2020-09-14.json'])).toContain('acme/hr/2020-09-13.json');
    expect(files(['acme/hr/2020-09-14.json'])).not.toContain('acme/hr/2020-09-14.json');
  });

  it('ingest drops a newly excluded file and adds back one no longer excluded', async () => {
    const root = tmpDir('exclude-ingest-');
    const dir = makeAvatar(root, 'pg', { 'essays/start.md': ESSAY, 'essays/SOURCE.txt': NOTE, 'drafts/hire.md': DRAFT }, 'exclude: [SOURCE.txt]\n');
    const svc = service(root);
    const sources = (): string[] => svc.index('pg').chunkStore().sourceCounts().map((s) => s.source).sort();
    const first = await svc.ingest('pg');
    expect(first).toMatchObject({ entries: 2, filesRead: 2 });
    expect(first.skipped).toEqual([{ path: 'essays/SOURCE.txt', reason: reason('SOURCE.txt') }]);
    expect(sources()).toEqual(['drafts/hire.md', 'essays/start.md']);
    expect((await svc.index('pg').search('provenance licence benchmark')).hits.map((h) => h.chunk.source)).not.toContain('essays/SOURCE.txt');

    // The drafts go too, and the provenance note comes back.
    setExclude(dir, ['drafts']);
    svc.reload();
    const second = await svc.ingest('pg');
    expect(second).toMatchObject({ entries: 2, filesRead: 1, filesUnchanged: 1, filesRemoved: 1 });
    expect(second.skipped).toEqual([{ path: 'drafts', reason: reason('drafts') }]);
    expect(sources()).toEqual(['essays/SOURCE.txt', 'essays/start.md']);
    expect((await svc.index('pg').search('hiring slowly unfinished')).hits.map((h) => h.chunk.source)).not.toContain('drafts/hire.md');

    // No list at all: everything is indexed again.
    setExclude(dir, undefined);
    svc.reload();
    expect(await svc.ingest('pg')).toMatchObject({ entries: 3, filesRead: 1, filesUnchanged: 2, filesRemoved: 0, skipped: [] });
    expect(sources()).toEqual(['drafts/hire.md', 'essays/SOURCE.txt', 'essays/start.md']);
    svc.close();
  });

  it('avatar create --exclude (repeatable) writes the list and the ingest honours it', async () => {
    const cwd = tmpDir('exclude-cli-');
    write(cwd, 'essays/start.md', ESSAY);
    write(cwd, 'essays/SOURCE.txt', NOTE);
    write(cwd, 'essays/drafts/hire.md', DRAFT);
    const res = await runCli(['avatar', 'create', 'pg', '--name', 'PG', '--from', 'essays', '--exclude', 'SOURCE.txt', '--exclude', 'essays/drafts/**'], { cwd });
    expect(res.code).toBe(0);
    expect(loadAvatarPackage(path.join(cwd, 'avatars/pg')).config.exclude).toEqual(['SOURCE.txt', 'essays/drafts/**']);
    expect(fs.readFileSync(path.join(cwd, 'avatars/pg/avatar.yaml'), 'utf8')).toMatch(/^exclude:\n {2}- SOURCE\.txt\n {2}- essays\/drafts\/\*\*$/m);
    expect(res.stdout).toMatch(/files read: +1\b/);
    expect(res.stdout).toContain(`essays/SOURCE.txt: ${reason('SOURCE.txt')}`);
    expect(res.stdout).toContain(`essays/drafts: ${reason('essays/drafts/**')}`);
    const search = await runCli(['search', 'pg', 'provenance licence startup ideas', '--json'], { cwd });
    expect(JSON.parse(search.stdout).map((r: { source: string }) => r.source)).toEqual(['essays/start.md']);

    const bad = await runCli(['avatar', 'create', 'pg2', '--name', 'PG', '--from', 'essays', '--exclude', '/etc/x'], { cwd });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--exclude "\/etc\/x": must be relative to the corpus folder/);
    expect(fs.existsSync(path.join(cwd, 'avatars/pg2'))).toBe(false);
    // Without the flag, avatar.yaml has no exclude field at all.
    expect((await runCli(['avatar', 'create', 'pg3', '--name', 'PG', '--from', 'essays'], { cwd })).code).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'avatars/pg3/avatar.yaml'), 'utf8')).not.toMatch(/exclude/);
  });
});

describe('eval targets: exclude', () => {
  it('reads exclude from a held-out target and rejects a bad one naming the file and field', () => {
    const dir = tmpDir('heldout-exclude-');
    write(dir, 'pg.jsonl', '');
    write(dir, 'pg.target.json', JSON.stringify({ name: 'PG', from: 'pg', exclude: ['SOURCE.txt'] }));
    expect(heldOutTargets(dir, '/corpora')[0].create).toEqual({ name: 'PG', from: '/corpora/pg', author: undefined, lang: undefined, exclude: ['SOURCE.txt'] });
    write(dir, 'pg.target.json', JSON.stringify({ name: 'PG', from: 'pg', exclude: 'SOURCE.txt' }));
    expect(() => heldOutTargets(dir, '/corpora')).toThrow(/pg\.target\.json: field "exclude" must be a list of globs/);
    write(dir, 'pg.target.json', JSON.stringify({ name: 'PG', from: 'pg', exclude: ['/abs'] }));
    expect(() => heldOutTargets(dir, '/corpora')).toThrow(/pg\.target\.json: field "exclude"/);
  });

  it('the dev and held-out paul-graham targets describe the same corpus, without its provenance note', () => {
    const repo = path.resolve(__dirname, '..', '..');
    const targets = defaultTargets(repo).filter((t) => t.slug === 'paul-graham');
    expect(targets.map((t) => t.split)).toEqual(['dev', 'held-out']);
    const [dev, held] = targets.map((t) => t.create);
    expect(dev?.exclude).toEqual(['SOURCE.txt']);
    expect({ from: held?.from, exclude: held?.exclude, lang: held?.lang, author: held?.author }).toEqual({ from: dev?.from, exclude: dev?.exclude, lang: dev?.lang, author: dev?.author });
  });

  it('an eval avatar built before its target excluded a file takes the new list and drops the file', async () => {
    const root = tmpDir('eval-exclude-');
    write(root, 'corpora/pg/start.md', ESSAY);
    write(root, 'corpora/pg/SOURCE.txt', NOTE);
    write(root, 'qa.jsonl', '{"question":"q","answerable":false}\n');
    const real = new AvatarService({ avatarsDir: path.join(root, 'eval/avatars'), dataDir: path.join(root, 'eval'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    const demo = service(root);
    const services = { demo, real, realAvatarsDir: path.join(root, 'eval/avatars') };
    const target = { slug: 'pg', split: 'dev' as const, qa: path.join(root, 'qa.jsonl'), create: { name: 'PG', from: path.join(root, 'corpora/pg') } };
    const sources = (): string[] => real.index('pg').chunkStore().sourceCounts().map((s) => s.source).sort();
    await openTarget(target, services);
    expect(sources()).toEqual(['pg/SOURCE.txt', 'pg/start.md']);
    await openTarget({ ...target, create: { ...target.create, exclude: ['SOURCE.txt'] } }, services);
    expect(real.get('pg').config.exclude).toEqual(['SOURCE.txt']);
    expect(sources()).toEqual(['pg/start.md']);
    await openTarget(target, services);
    expect(real.get('pg').config.exclude).toBeUndefined();
    expect(sources()).toEqual(['pg/SOURCE.txt', 'pg/start.md']);
    real.close();
    demo.close();
  });
});
