import { WebClient } from '@slack/web-api';
import { classifySlackError } from '../../../src/adapters/slack/web-errors';
import { capturingLogger } from '../../helpers/capturing-logger';
import { FakeSlack } from '../../helpers/fake-slack';
import { eventBody, LZ_SECRET, shownText, startSlack, type SlackHarness } from '../../helpers/slack-harness';

function fakeSlack(): FakeSlack {
  const fake = new FakeSlack();
  fake.tokens.set('xoxb-hub', { user_id: 'U_HUBBOT', team_id: 'T111', bot_id: 'B_HUB' });
  fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
  return fake;
}

describe('Slack Web API failures', () => {
  let h: SlackHarness | undefined;
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = fakeSlack();
    await fake.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake.stop();
  });

  it('fails fast at start when a token is rejected, naming the app', async () => {
    await expect(startSlack({ fake, env: { LZ_SLACK_BOT_TOKEN: 'xoxb-revoked' } })).rejects.toThrow(/lao-zhang.*A_LZ.*invalid_auth/);
  });

  it('says the Slack API was unreachable, not that the token is bad, when nothing answers', async () => {
    // A port with nothing listening: the request fails before Slack could judge the token.
    const closed = new FakeSlack();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const err = (await startSlack({ fake, env: { SLACK_API_URL: url } }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/could not reach the Slack API at http:\/\/127\.0\.0\.1:\d+/);
    expect(err.message).not.toMatch(/Check its bot token/);
  });

  it('names the scope to add when Slack says missing_scope', async () => {
    fake.fail('chat.postMessage', { error: 'missing_scope', needed: 'chat:write.public', times: 1 });
    const client = new WebClient('xoxb-hub', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    const { log, lines } = capturingLogger();
    const err = await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e);
    const e = classifySlackError(err, 'chat.postMessage', log);
    expect(e.code).toBe('PLATFORM_SCOPE');
    expect(e.message).toMatch(/add the bot scope chat:write\.public/);
    expect(lines()).toEqual([expect.objectContaining({ level: 50, method: 'chat.postMessage', needed: 'chat:write.public', msg: expect.stringMatching(/chat:write\.public/) })]);
  });

  it('tells the asker in a DM when it is not in the channel it was mentioned in', async () => {
    h = await startSlack({ fake });
    fake.fail('chat.postMessage', { error: 'not_in_channel', times: 1 });
    await h.send(eventBody({ type: 'app_mention', channel: 'C_NOTIN', user: 'U7', text: '<@U_LZBOT> how do I roll back?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    // The mention carries no channel_type: idle() also covers the channel lookup before dispatch.
    await h.idle();
    const dms = fake.of('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D'));
    expect(dms).toHaveLength(1);
    expect(String(dms[0].args.text)).toMatch(/C_NOTIN.*not a member.*\/invite/);
  });

  it('waits out a 429 on the placeholder and still answers once', async () => {
    h = await startSlack({ fake });
    fake.fail('chat.postMessage', { status: 429, retryAfter: 1, times: 1 });
    const t = Date.now();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U3', user: 'U3', text: 'How do I release billing-gateway?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    const shown = shownText(fake.calls.filter((c) => !c.args.failed && c.args.channel === 'D_U3'));
    expect(shown.match(/understudy_feedback_up/g)).toHaveLength(1);
    expect(shown).toMatch(/deploy\.md/);
  });
});
