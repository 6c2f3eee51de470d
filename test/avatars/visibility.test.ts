import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { parseAvatarYaml } from '../../src/avatars/package';
import { VisibilityPolicy } from '../../src/avatars/visibility';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const yaml = (rules: string): string => `
slug: lao-zhang
handle: lao-zhang-avatar
display_name: 老张的数字分身
person:
  name: 张建国
  name_en: Lao Zhang
  title: Senior Backend Engineer
  team: Payments Platform
  status: departed
  languages: [zh, en]
  pronoun: he
visibility:
  default: public
  rules:
${rules}
`;

describe('visibility rules use a real glob matcher (privacy rules must not fail open)', () => {
  it('matches brace sets, character classes, ** and * the way globs do', () => {
    const policy = new VisibilityPolicy(
      parseAvatarYaml(
        yaml(`    - path: "{hr,legal}/**"
      visibility: private
      audience: ["slack:U07MGR0001"]
    - path: "notes/[0-9][0-9]-*.md"
      visibility: private
    - path: "**/*.{key,pem}"
      visibility: private
    - path: "drafts/*"
      visibility: team`),
        'a.yaml',
      ),
    );
    const vis = (source: string): string => policy.resolve(source, null, undefined, 'markdown').visibility;
    expect(vis('hr/salaries/2025.md')).toBe('private');
    expect(vis('legal/contract.pdf')).toBe('private');
    expect(vis('notes/07-offsite.md')).toBe('private');
    expect(vis('deploy/certs/prod.pem')).toBe('private');
    expect(vis('drafts/idea.md')).toBe('team');
    // Not widened by a too-eager matcher either.
    expect(vis('hrx/notes.md')).toBe('public');
    expect(vis('notes/7-offsite.md')).toBe('public');
    expect(vis('drafts/deep/idea.md')).toBe('public');
    // A Slack export source carries `#channel`; the file part is matched.
    expect(vis('hr/export.zip#general')).toBe('private');
    // Dot files are files too: a private rule covers them.
    expect(vis('hr/.env')).toBe('private');
  });

  it('a rule written for a Slack export channel keeps covering its messages, now keyed by day file', () => {
    const policy = new VisibilityPolicy(
      parseAvatarYaml(
        yaml(`    - path: "acme-slack/payroll"
      visibility: private
      audience: ["slack:U07MGR0001"]
    - path: "acme-slack/hr-*/**"
      visibility: private
    - path: "acme-slack/general/**"
      visibility: team`),
        'a.yaml',
      ),
    );
    const resolve = (source: string) => policy.resolve(source, 'public', undefined, 'slack');
    // The channel named exactly, as when the channel was the source.
    expect(resolve('acme-slack/payroll')).toEqual({ visibility: 'private', audience: ['slack:U07MGR0001'] });
    expect(resolve('acme-slack/payroll/2015-06-20')).toEqual({ visibility: 'private', audience: ['slack:U07MGR0001'] });
    expect(resolve('acme-slack/hr-leave/2016-01-04').visibility).toBe('private');
    expect(resolve('acme-slack/general/2015-06-20').visibility).toBe('team');
    expect(resolve('acme-slack/general').visibility).toBe('team');
    // Only the channel's own days: not a channel whose name starts the same, nor a document beside it.
    expect(resolve('acme-slack/payroll-announce/2015-06-20').visibility).toBe('public');
    expect(resolve('acme-slack/payroll/2015-06-20.md').visibility).toBe('public');
  });
});

describe('only a Slack export message is read as a channel day', () => {
  const rules = `    - path: "*"
      visibility: public`;

  it('a document named like a day file (notes/2021-03-04) is matched as the file it is, not as channel "notes"', () => {
    const policy = new VisibilityPolicy(parseAvatarYaml(yaml(rules).replace('default: public', 'default: private'), 'a.yaml'));
    // "*" is a top-level file (or a Slack channel): it does not reach into notes/.
    expect(policy.resolve('notes/2021-03-04', null, undefined, 'text').visibility).toBe('private');
    expect(policy.resolve('notes/2021-03-04', null, undefined, 'markdown').visibility).toBe('private');
    // A Slack export's day of channel "notes" is that channel's.
    expect(policy.resolve('notes/2021-03-04', null, undefined, 'slack').visibility).toBe('public');
  });

  it('through the index: the day-named document keeps the default, the top-level file gets the rule', async () => {
    const root = tmpDir();
    makeAvatar(root, 'diarist', { 'notes/2021-03-04': 'The ledger freeze starts at 16:00 on Fridays.\n', 'readme.md': '# Readme\n\nDeploys go out on Tuesdays.\n' }, `visibility:\n  default: private\n  rules:\n${rules}\n`);
    const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    await service.ingest('diarist');
    const index = service.index('diarist');
    // A search loads the version, with every chunk's policy resolved from what the loader stored.
    await index.search('ledger freeze');
    const chunks = [...index.chunkStore().iterateChunks()];
    const note = chunks.find((c) => c.source.startsWith('notes/2021-03-04'));
    const readme = chunks.find((c) => c.source === 'readme.md');
    expect(note).toBeDefined();
    expect(index.get(note?.id ?? -1)?.visibility).toBe('private');
    expect(index.get(readme?.id ?? -1)?.visibility).toBe('public');
  });
});
