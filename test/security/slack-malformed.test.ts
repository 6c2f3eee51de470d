import { eventBody, startSlack, type SlackHarness } from '../helpers/slack-harness';

/**
 * Validly signed but malformed Slack requests: each gets a 4xx at once (never a 5xx, which
 * makes Slack retry, never the 2.5 s unhandled-request wait), and the server keeps answering.
 */
const JSON_BODIES: [string, string][] = [
  ['JSON null', 'null'],
  ['a JSON array', '[]'],
  ['a JSON string', '"hello"'],
  ['a JSON number', '42'],
  ['an empty object', '{}'],
  ['an unknown type', '{"type":"nonsense"}'],
  ['an event that is a string', '{"type":"event_callback","api_app_id":"A_HUB","event":"x"}'],
  ['an event that is null', '{"type":"event_callback","api_app_id":"A_HUB","event":null}'],
  ['an event without a type', '{"type":"event_callback","api_app_id":"A_HUB","event":{"channel":"C1"}}'],
  ['an event whose item is a number', '{"type":"event_callback","api_app_id":"A_HUB","event":{"type":"reaction_added","item":1}}'],
  ['an event whose channel is null', '{"type":"event_callback","api_app_id":"A_HUB","event":{"type":"message","channel":null}}'],
  ['actions that are not an array', '{"type":"block_actions","actions":5,"user":{"id":"U1"}}'],
  ['block actions without a user', '{"type":"block_actions","actions":[{"action_id":"x"}],"team":{"id":"T1"}}'],
  ['a view submission without a view', '{"type":"view_submission","user":{"id":"U1"}}'],
  ['a shortcut without a user', '{"type":"shortcut","callback_id":"c"}'],
  ['a block suggestion with a null team', '{"type":"block_suggestion","action_id":"a","team":null}'],
  ['a url_verification without a challenge', '{"type":"url_verification"}'],
  ['broken JSON', '{"type":'],
  // Found by the fuzz (fuzz.test.ts): each threw inside Bolt before the ack, a 500.
  ['an event whose user is null', '{"type":"event_callback","api_app_id":"A_HUB","event":{"type":"app_mention","channel":"C1","user":null,"text":"hi"}}'],
  ['block actions whose channel is null', '{"type":"block_actions","api_app_id":"A_HUB","user":{"id":"U1"},"team":{"id":"T111"},"actions":[{"action_id":"understudy_feedback_up","value":"{}"}],"channel":null}'],
  ['a team_id of __proto__', '{"type":"event_callback","api_app_id":"A_HUB","team_id":"__proto__","event":{"type":"reaction_added","user":"U1","item":{"type":"message","channel":"C1","ts":"1.2"}}}'],
  ['a team id of constructor', '{"type":"shortcut","callback_id":"c","trigger_id":"t","user":{"id":"U1"},"team":{"id":"constructor"}}'],
];

const FORM_BODIES: [string, string][] = [
  ['payload=null', 'payload=null'],
  ['payload=[]', 'payload=%5B%5D'],
  ['payload that is not JSON', 'payload=%7Bnope'],
  ['an empty form', ''],
  ['a command that is repeated', 'command=%2Favatar&command=%2Fx&user_id=U1&channel_id=C1&team_id=T111'],
  ['a command without a user', 'command=%2Favatar&channel_id=C1&team_id=T111&text=list'],
  ['payload with block actions of null', 'payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5Bnull%5D%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D'],
];

describe('security: malformed signed Slack requests', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlack();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(JSON_BODIES)('answers %s (JSON) with a 4xx at once', async (_name, raw) => {
    const started = Date.now();
    const res = await h.send(undefined, { raw });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each(FORM_BODIES)('answers %s (form) with a 4xx at once', async (_name, raw) => {
    const started = Date.now();
    const res = await h.send(raw, { form: true });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('still acks a well-formed event and an ssl_check after all that', async () => {
    const res = await h.send(eventBody({ type: 'reaction_added', user: 'U1', reaction: 'eyes', item: { type: 'message', channel: 'C1', ts: '1.2' } }));
    expect(res.status).toBe(200);
    expect((await h.send('ssl_check=1&token=x', { form: true })).status).toBe(200);
    expect((await h.send({ type: 'url_verification', challenge: 'abc' })).status).toBe(200);
  });
});
