import { ConsentBook, type ConsentRequest } from '../../src/distill/consent';
import { distillJobHandler } from '../../src/distill/chat-feature';
import type { TransportFinder } from '../../src/chat/answer-handoff';
import { InProcessJobQueue } from '../../src/jobs/memory-queue';
import type { JobWorker } from '../../src/jobs/types';
import { tellJobGivenUp } from '../../src/serve';
import { startSlack, type SlackHarness } from '../helpers/slack-harness';
import { until } from '../helpers/wait';

/**
 * `/distill` handed to the queue (as a web replica does) and run by the worker's distill handler
 * with serve's onDead: a distillation that fails on every run, or that cannot run at all, ends
 * with one message to the requester that says what failed and what to do.
 */

const NOW = Math.floor(Date.now() / 1000);

function command(text: string, user: string, channel: string): string {
  return new URLSearchParams({ token: 't', team_id: 'T111', api_app_id: 'A_HUB', channel_id: channel, channel_name: 'directmessage', user_id: user, user_name: user.toLowerCase(), command: '/distill', text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}` }).toString();
}

describe('a distill job given up for good', () => {
  jest.setTimeout(60_000);
  let h: SlackHarness;
  let queue: InProcessJobQueue;
  let worker: JobWorker | undefined;
  let transportFor: TransportFinder;

  beforeEach(async () => {
    h = await startSlack();
    h.fake.channelList = [{ id: 'C_PAY', name: 'payments', is_member: true }];
    h.fake.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
    h.fake.history.C_PAY = [{ messages: [{ type: 'message', user: 'U_SUBJ', text: 'We freeze <!channel> ledger deploys on Fridays.', ts: `${NOW - 100}.000100` }] }];
    queue = new InProcessJobQueue();
    h.runtime.jobs = queue;
    transportFor = (platform, appId) => h.handle.platforms.find((p) => p.name === platform)?.transportFor(appId);
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    h.runtime.jobs = undefined;
    await queue.close();
    await h.close();
  });

  const work = (): void => {
    worker = queue.process({ distill: distillJobHandler(h.handle.router, h.runtime, transportFor) }, { onDead: tellJobGivenUp(h.runtime, transportFor) });
  };
  const texts = (method: string): string[] => h.fake.of(method).filter((c) => !c.args.failed).map((c) => String(c.args.text ?? ''));
  const deadDistill = async (): Promise<void> => {
    await until(async () => (await queue.deadLetters()).some((j) => j.kind === 'distill'), 'the distill job to be a dead letter', 40_000);
  };
  const requests = async (): Promise<ConsentRequest[]> => (await h.runtime.service.store.kvList<ConsentRequest>('consent')).map((r) => r.value);

  it('failing on every run: one progress message, updated by each run and replaced by the final word, which is said once', async () => {
    h.fake.fail('conversations.history', { error: 'internal_error', times: Infinity });
    work();
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await deadDistill();
    await new Promise((r) => setTimeout(r, 300));

    // One "Collecting…" across the three runs (the later runs update the one the first posted).
    expect(texts('chat.postMessage').filter((t) => /Collecting Wang Fang's messages/.test(t))).toHaveLength(1);
    const finals = [...texts('chat.postMessage'), ...texts('chat.update')].filter((t) => /distillation (stopped|of Wang Fang)/.test(t));
    expect(finals).toEqual([expect.stringMatching(/The distillation stopped \(PLATFORM_TRANSIENT\)\. It can resume from where it stopped: run `\/distill` again/)]);
    // In place of the progress message.
    expect(texts('chat.update').at(-1)).toBe(finals[0]);
  });

  it('unable to run at all (its request expired while it waited): the requester is told once what failed and to run /distill again, with no stack', async () => {
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await until(async () => (await queue.counts()).waiting === 1, 'the distill job to be enqueued');
    const book = new ConsentBook(h.runtime.service.store, 30);
    const [req] = await requests();
    await book.update(req, { status: 'expired' });
    work();
    await deadDistill();
    const [dead] = (await queue.deadLetters()).filter((j) => j.kind === 'distill');
    // onDead run again (a hook retried): still one notice.
    await tellJobGivenUp(h.runtime, transportFor)({ id: dead.id, kind: 'distill', data: dead.data, error: dead.error });

    const notices = texts('chat.postMessage').filter((t) => /distillation of Wang Fang/.test(t));
    expect(notices).toEqual([expect.stringMatching(/^I couldn't finish the distillation of Wang Fang \(`CONSENT_REQUIRED: Nothing is collected without an approved consent record \(.+: expired\)\.`\)\. Run `\/distill` again/)]);
    expect(notices[0]).not.toMatch(/\n\s+at /);
  });

  it('its workers stopped again and again: the progress message the last run posted is replaced by the notice, once', async () => {
    h.fake.fail('conversations.history', { error: 'internal_error', times: Infinity });
    // One run that posts its progress and is then cut off (as a killed worker's would be): the job stalls to death.
    worker = queue.process(
      {
        distill: async (job) => {
          await distillJobHandler(h.handle.router, h.runtime, transportFor)({ ...job, attempt: 1, attempts: 3 }).catch(() => undefined);
          throw new Error('job stalled more than allowable limit');
        },
      },
      { onDead: tellJobGivenUp(h.runtime, transportFor) },
    );
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await deadDistill();
    await new Promise((r) => setTimeout(r, 300));
    expect(texts('chat.postMessage').filter((t) => /Collecting Wang Fang's messages/.test(t))).toHaveLength(1);
    const notices = [...texts('chat.postMessage'), ...texts('chat.update')].filter((t) => /distillation of Wang Fang/.test(t));
    expect(notices).toEqual([expect.stringMatching(/^I couldn't finish the distillation of Wang Fang \(the worker stopped\)\. Run `\/distill` again to resume it/)]);
    expect(texts('chat.update').at(-1)).toBe(notices[0]);
  });
});
