import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { mayUseAvatar } from '../../src/avatars/access';
import type { Viewer } from '../../src/avatars/visibility';
import { ChatRouter } from '../../src/chat/router';
import type { ChatEvent, ChatUser } from '../../src/chat/types';
import { mayUse as mcpMayUse, operatorCaller, tokenCaller } from '../../src/mcp/caller';
import { planMeeting } from '../../src/meeting/plan';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';

/** A transport whose platform reports the user's groups (Slack user groups, Feishu departments). */
class GroupsTransport extends RecordingTransport {
  constructor(private readonly groups: Record<string, string[]>) {
    super();
  }

  async resolveUser(userId: string): Promise<ChatUser | undefined> {
    return { id: userId, name: userId, isBot: false, groups: this.groups[userId] ?? [] };
  }
}

const LISTS: Record<string, string> = {
  'by-user': 'access:\n  users: ["slack:U_OK", "U_BARE"]\n',
  'by-channel': 'access:\n  channels: ["G_OK", "slack:G_QUAL"]\n',
  'by-group': 'access:\n  groups: ["S_OPS", "slack:S_QUAL"]\n',
};
const GROUPS: Record<string, string[]> = { U_G: ['S_OPS'], U_GQ: ['S_QUAL'], U_NO: ['S_OTHER'] };

interface Case {
  who: string;
  event: Partial<ChatEvent>;
  /** The slugs of LISTS this asker may use. */
  allowed: string[];
  /** Whether an MCP token for this user is the same asker (a DM with no groups to resolve). */
  mcp: 'token' | 'operator' | 'n/a';
}

const CASES: Case[] = [
  { who: 'a listed user (qualified id) in a DM', event: { userId: 'U_OK' }, allowed: ['by-user'], mcp: 'token' },
  { who: 'a listed user (bare id) in a DM', event: { userId: 'U_BARE' }, allowed: ['by-user'], mcp: 'token' },
  { who: 'an unlisted user in a DM', event: { userId: 'U_NO' }, allowed: [], mcp: 'token' },
  { who: 'an unlisted user in a listed channel', event: { userId: 'U_NO', channelId: 'G_OK', channelType: 'private_channel', mentioned: true }, allowed: ['by-channel'], mcp: 'n/a' },
  { who: 'an unlisted user in a channel listed with its platform', event: { userId: 'U_NO', channelId: 'G_QUAL', channelType: 'private_channel', mentioned: true }, allowed: ['by-channel'], mcp: 'n/a' },
  { who: 'a member of a listed group', event: { userId: 'U_G' }, allowed: ['by-group'], mcp: 'n/a' },
  { who: 'a member of a group listed with its platform', event: { userId: 'U_GQ' }, allowed: ['by-group'], mcp: 'n/a' },
  { who: 'the operator at the terminal', event: { platform: 'cli', userId: 'alice', channelId: 'local' }, allowed: Object.keys(LISTS), mcp: 'operator' },
];

describe('one access decision for chat, meetings and MCP', () => {
  const root = tmpDir('access-');
  makeAvatar(root, 'open', { 'a.md': '# Launch\n\nThe launch is on Monday after the freeze.\n' });
  for (const [slug, yaml] of Object.entries(LISTS)) makeAvatar(root, slug, { 'a.md': '# Launch\n\nThe launch is on Monday after the freeze.\n' }, yaml);
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  const router = new ChatRouter({ service, rateLimits: { userPerMinute: 1000, workspacePerMinute: 10000 } });

  beforeAll(async () => {
    for (const a of service.registry.list()) await service.ingest(a.config.slug);
  });
  afterAll(() => {
    service.close();
    store.close();
  });

  it.each(CASES)('$who: the router, a meeting plan and MCP agree with mayUseAvatar', async ({ event, allowed, mcp }) => {
    const e = dmEvent('', event);
    const viewer: Viewer = e.platform === 'cli' ? { platform: 'cli', userId: e.userId, surface: 'local' } : { platform: e.platform, userId: e.userId, surface: e.channelType, channelId: e.channelId };
    const groups = GROUPS[e.userId] ?? [];
    for (const slug of Object.keys(LISTS)) {
      const pkg = service.registry.get(slug);
      const expected = allowed.includes(slug);
      expect([slug, mayUseAvatar(pkg.config.access, viewer, groups)]).toEqual([slug, expected]);
      // The router's access gate (it looks the user's groups up itself).
      const t = new GroupsTransport(GROUPS);
      await router.handle(dmEvent(`@${slug}-avatar when is the launch?`, event), t);
      const refused = t.texts().some((x) => /limited to certain people and channels/.test(x));
      expect([slug, 'chat', !refused]).toEqual([slug, 'chat', expected]);
      if (expected) expect(t.shown().some((r) => r.kind === 'answer')).toBe(true);
      // A meeting with an open avatar: the listed one takes part or is left out for access.
      const plan = planMeeting(service, ['open', slug], 'When is the launch?', { actor: `${e.platform}:${e.userId}`, viewer, groups }, 'en');
      expect([slug, 'meeting', plan.participants.some((p) => p.config.slug === slug)]).toEqual([slug, 'meeting', expected]);
      expect(plan.leftOut.map((l) => l.reason)).toEqual(expected ? [] : ['access']);
      // MCP: a token stands for a user in a DM (no channel, no groups); stdio is the operator.
      if (mcp !== 'n/a') {
        const caller = mcp === 'operator' ? operatorCaller({ USER: e.userId }) : tokenCaller({ token: 'x'.repeat(16), platform: 'slack', userId: e.userId });
        expect([slug, 'mcp', mcpMayUse(pkg, caller)]).toEqual([slug, 'mcp', expected]);
      }
    }
  });
});
