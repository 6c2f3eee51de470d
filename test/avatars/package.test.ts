import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { introduction, label } from '../../src/avatars/disclosure';
import { detectLang } from '../../src/text/lang';
import { loadAvatarPackage, parseAvatarYaml } from '../../src/avatars/package';
import { AvatarRegistry } from '../../src/avatars/registry';
import { VisibilityPolicy } from '../../src/avatars/visibility';

const YAML_OK = `
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
  default: team
  rules:
    - path: "private/**"
      visibility: private
      audience: ["slack:U07MGR0001"]
    - path: "public/**"
      visibility: public
`;

function makeAvatar(root: string, slug: string, yaml: string): string {
  const dir = path.join(root, slug);
  fs.mkdirSync(path.join(dir, 'corpus'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'avatar.yaml'), yaml);
  return dir;
}

describe('avatar packages', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'avatars-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('loads a valid avatar.yaml with defaults filled in', () => {
    const pkg = loadAvatarPackage(makeAvatar(root, 'lao-zhang', YAML_OK));
    expect(pkg.config.status).toBe('active');
    expect(pkg.config.access.dm_visibility).toEqual(['public', 'team']);
  });

  it('names the file and the field path of an invalid value', () => {
    const bad = YAML_OK.replace('status: departed', 'status: retired');
    expect(() => parseAvatarYaml(bad, 'avatars/lao-zhang/avatar.yaml')).toThrow(/avatars\/lao-zhang\/avatar.yaml: field person.status/);
  });

  it('names the line of broken YAML', () => {
    expect(() => parseAvatarYaml('slug: [unclosed\nhandle: x', 'a.yaml')).toThrow(/a.yaml:\d+:\d+: invalid YAML/);
  });

  it('rejects a secret pasted where an environment variable name belongs', () => {
    const bad = `${YAML_OK}apps:\n  slack:\n    app_id: A1\n    bot_token_env: xoxb-123-abc\n`;
    expect(() => parseAvatarYaml(bad, 'a.yaml')).toThrow(/field apps.slack.bot_token_env: must be the NAME/);
  });

  it('requires the slug to match the folder', () => {
    expect(() => loadAvatarPackage(makeAvatar(root, 'other', YAML_OK))).toThrow(/must match the folder name "other"/);
  });

  it('suggests the closest slugs for an unknown avatar and reports invalid ones', () => {
    makeAvatar(root, 'lao-zhang', YAML_OK);
    makeAvatar(root, 'broken', 'slug: broken\n');
    const reg = new AvatarRegistry(root);
    expect(reg.find('@lao-zhang-avatar')?.config.slug).toBe('lao-zhang');
    expect(() => reg.get('lao-zang')).toThrow(/Unknown avatar "lao-zang". Did you mean: lao-zhang/);
    expect(reg.invalid).toHaveLength(1);
    expect(() => reg.get('broken')).toThrow(/broken\/avatar.yaml: field/);
  });

  it('applies visibility rules, and lets a DM see private sources only for their audience', () => {
    const cfg = parseAvatarYaml(YAML_OK, 'a.yaml');
    const policy = new VisibilityPolicy(cfg);
    const priv = policy.resolve('private/handover.md', null, undefined, 'markdown');
    const pub = policy.resolve('public/faq.md', null, undefined, 'markdown');
    const team = policy.resolve('runbooks/deploy.md', null, undefined, 'markdown');
    expect(priv.visibility).toBe('private');
    expect(pub.visibility).toBe('public');
    expect(team.visibility).toBe('team');
    const channel = { platform: 'slack' as const, surface: 'public_channel' as const, channelId: 'C1', userId: 'U1' };
    expect([priv, pub, team].map((p) => policy.canSee(channel, p))).toEqual([false, true, false]);
    const managerDm = { platform: 'slack' as const, surface: 'dm' as const, userId: 'U07MGR0001' };
    const otherDm = { platform: 'slack' as const, surface: 'dm' as const, userId: 'U999' };
    expect(policy.canSee(managerDm, priv)).toBe(true);
    expect(policy.canSee(otherDm, priv)).toBe(false);
    expect(policy.canSee(otherDm, team)).toBe(true);
  });

  it('never lets a rule widen a private chat source', () => {
    const cfg = parseAvatarYaml(YAML_OK, 'a.yaml');
    const p = new VisibilityPolicy(cfg).resolve('public/slack-export#general', 'private', ['slack:U1'], 'slack');
    expect(p.visibility).toBe('private');
  });

  it('introduces itself as a digital avatar in both languages', () => {
    const cfg = parseAvatarYaml(YAML_OK, 'a.yaml');
    expect(introduction(cfg, 'en')).toMatch(/^Hello, I am the digital avatar of former employee Lao Zhang\./);
    expect(introduction(cfg, 'zh')).toMatch(/前员工张建国的数字分身/);
    expect(label(cfg, 'en')).toMatch(/Digital avatar of Lao Zhang/);
    expect(detectLang('怎么回滚 billing-gateway？')).toBe('zh');
    expect(detectLang('How do I roll back?')).toBe('en');
  });
});
