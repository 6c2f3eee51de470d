import fs from 'node:fs';
import path from 'node:path';
import { FakeSlack } from '../../helpers/fake-slack';
import { FakeSlackSocket } from '../../helpers/fake-slack-socket';
import { eventBody, shownText, slackWorkspace, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/** The usual test workspace, with an app-level token variable for lao-zhang's own app. */
function socketWorkspace(): string {
  const root = slackWorkspace();
  fs.appendFileSync(path.join(root, 'avatars', 'lao-zhang', 'avatar.yaml'), '    app_token_env: LZ_SLACK_APP_TOKEN\n');
  return root;
}

describe('Slack Socket Mode', () => {
  let h: SlackHarness | undefined;
  let ws: FakeSlackSocket;
  let fake: FakeSlack;
  /** Connection index per app token: apps connect one after another, in apps.connections.open order. */
  let conn: Record<string, number>;

  beforeEach(async () => {
    ws = new FakeSlackSocket();
    await ws.start();
    fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-hub', { user_id: 'U_HUBBOT', team_id: 'T111', bot_id: 'B_HUB' });
    fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
    fake.socketUrl = ws.url;
    h = await startSlack({
      root: socketWorkspace(),
      fake,
      env: { SLACK_MODE: 'socket', SLACK_APP_TOKEN: 'xapp-hub', LZ_SLACK_APP_TOKEN: 'xapp-lz' },
    });
    conn = Object.fromEntries(fake.of('apps.connections.open').map((c, i) => [String(c.token), i]));
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
    await ws.stop();
    await fake.stop();
  });

  it('opens one connection per app token, with the app-level token', () => {
    expect(Object.keys(conn).sort()).toEqual(['xapp-hub', 'xapp-lz']);
    expect(ws.connections).toHaveLength(2);
  });

  it('acks an events_api envelope at once and answers the DM in the background', async () => {
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back billing-gateway?' }, { app: 'A_LZ' });
    const id = ws.push(conn['xapp-lz'], 'events_api', body);
    const ack = await ws.acked(id);
    expect(ack.ms).toBeLessThan(3000);
    await h?.idle();
    const update = fake.of('chat.update').find((c) => JSON.stringify(c.args.blocks).includes('rollback.md'));
    expect(update?.args.channel).toBe('D_U1');
    expect(update?.token).toBe('xoxb-lz');
  });

  it('answers a redelivered envelope (retry_attempt) only once', async () => {
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U2', user: 'U2', text: 'How do I release billing-gateway?' }, { app: 'A_LZ' });
    await ws.acked(ws.push(conn['xapp-lz'], 'events_api', body));
    await ws.acked(ws.push(conn['xapp-lz'], 'events_api', body, 1));
    await h?.idle();
    expect(fake.of('chat.update').filter((c) => JSON.stringify(c.args.blocks).includes('deploy.md'))).toHaveLength(1);
  });

  it('runs /avatar list from a slash_commands envelope on the hub connection', async () => {
    const id = ws.push(conn['xapp-hub'], 'slash_commands', {
      token: 'verification_token',
      team_id: 'T111',
      api_app_id: 'A_HUB',
      channel_id: 'C_GEN',
      channel_name: 'general',
      user_id: 'U1',
      user_name: 'u1',
      command: '/avatar',
      text: 'list',
      response_url: 'https://hooks.slack.com/commands/T111/1/x',
      trigger_id: '111.222.socket',
    });
    await ws.acked(id);
    await h?.idle();
    const shown = shownText(fake.of('chat.postEphemeral'));
    expect(shown).toMatch(/@lao-zhang-avatar/);
    expect(shown).toMatch(/@lin-xiaoyu-avatar/);
  });
});
