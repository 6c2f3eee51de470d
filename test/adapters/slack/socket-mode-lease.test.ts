import fs from 'node:fs';
import path from 'node:path';
import { connectRedis } from '../../../src/store/redis-connection';
import { leaseKey } from '../../../src/store/lease';
import { FakeSlack } from '../../helpers/fake-slack';
import { FakeSlackSocket } from '../../helpers/fake-slack-socket';
import { slackWorkspace, startSlack, type SlackHarness } from '../../helpers/slack-harness';
import { until } from '../../helpers/wait';
import { freshSchema, REDIS_DB, redisUrl } from '../../helpers/services';

/** A database of its own (see REDIS_DB), so other test files' keys never meet these. */
const REDIS_URL = redisUrl(REDIS_DB.socketLease);


describe('Slack Socket Mode under a Redis lease', () => {
  it('two replicas: only one opens the connection; when it stops, the other connects', async () => {
    const redis = await connectRedis(REDIS_URL);
    const pattern = leaseKey('slack-socket', '*');
    /** Each lease key and its holder. */
    const leases = async (): Promise<Record<string, string | null>> => {
      const keys = (await redis.keys(pattern)).sort();
      const owners = keys.length ? await redis.mget(...keys) : [];
      return Object.fromEntries(keys.map((k, i) => [k, owners[i]]));
    };
    const drop = async (): Promise<void> => {
      const keys = await redis.keys(pattern);
      if (keys.length) await redis.del(...keys);
    };
    await drop();
    const ws = new FakeSlackSocket();
    await ws.start();
    const fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-hub', { user_id: 'U_HUBBOT', team_id: 'T111', bot_id: 'B_HUB' });
    fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
    fake.socketUrl = ws.url;
    const root = slackWorkspace();
    fs.appendFileSync(path.join(root, 'avatars', 'lao-zhang', 'avatar.yaml'), '    app_token_env: LZ_SLACK_APP_TOKEN\n');
    // Production mode: REDIS_URL goes with DATABASE_URL (one without the other is refused at start).
    const db = await freshSchema();
    const env = { SLACK_MODE: 'socket', SLACK_APP_TOKEN: 'xapp-hub', LZ_SLACK_APP_TOKEN: 'xapp-lz', REDIS_URL, DATABASE_URL: db.url };
    let first: SlackHarness | undefined;
    let second: SlackHarness | undefined;
    try {
      first = await startSlack({ root, fake, env });
      expect(ws.connections).toHaveLength(2);
      second = await startSlack({ root, fake, env });
      // The second replica stands by: no connection of its own.
      expect(ws.connections).toHaveLength(2);
      const holders = await leases();
      expect(Object.keys(holders)).toHaveLength(2);
      await first.close();
      first = undefined;
      await until(() => ws.connections.filter((c) => c.readyState === c.OPEN).length === 2);
      expect(ws.connections).toHaveLength(4);
      const after = await leases();
      expect(Object.keys(after)).toEqual(Object.keys(holders));
      for (const k of Object.keys(after)) expect(after[k]).not.toBe(holders[k]);
    } finally {
      await first?.close();
      await second?.close();
      await drop();
      await redis.quit();
      await ws.stop();
      await fake.stop();
      await db.drop();
    }
  }, 60_000);
});
