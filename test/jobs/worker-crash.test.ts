import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { REDIS_URL } from './redis';
import { until } from '../helpers/wait';

/**
 * A worker is a separate process running the built queue (dist/, which `npm install` builds):
 * its answer job writes "start" and, unless told to hang, "done" with its pid to a journal.
 */
const MODULE = path.resolve(__dirname, '../../dist/src/jobs/bullmq-queue.js');
const WORKER = `
const fs = require('node:fs');
const { BullMqJobQueue } = require(${JSON.stringify(MODULE)});
const { QUEUE, REDIS_URL, JOURNAL, HANG } = process.env;
const queue = new BullMqJobQueue({ url: REDIS_URL, name: QUEUE, lockDurationMs: 1000, stalledIntervalMs: 500 });
queue.process({
  answer: async (job) => {
    fs.appendFileSync(JOURNAL, 'start ' + process.pid + ' ' + job.id + '\\n');
    if (HANG === '1') await new Promise(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    fs.appendFileSync(JOURNAL, 'done ' + process.pid + ' ' + job.id + '\\n');
    return { answeredBy: process.pid };
  },
}, { concurrency: 1 });
process.on('SIGTERM', () => queue.close().then(() => process.exit(0)));
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


describe('a BullMQ worker killed in the middle of a job', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('has its job retried by another worker, which completes it exactly once', async () => {
    if (!fs.existsSync(MODULE)) throw new Error(`${MODULE} is missing: run npm run build (npm install does)`);
    const name = `crash-${randomUUID()}`;
    const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'worker-crash-')), 'journal.log');
    fs.writeFileSync(journal, '');
    const lines = (): string[] => fs.readFileSync(journal, 'utf8').split('\n').filter(Boolean);
    const startWorker = (hang: boolean): ChildProcess => {
      const child = spawn(process.execPath, ['-e', WORKER], { env: { ...process.env, QUEUE: name, REDIS_URL, JOURNAL: journal, HANG: hang ? '1' : '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      return child;
    };
    const queue = new BullMqJobQueue({ url: REDIS_URL, name });
    try {
      const doomed = startWorker(true);
      const { id } = await queue.enqueue('answer', { question: 'how do we roll back?' }, { id: 'answer:slack:T1:EvCRASH' });
      await until(() => lines().length > 0, 'the first worker to start the job');
      expect(lines()).toEqual([`start ${doomed.pid} ${id}`]);

      const exited = new Promise((r) => doomed.once('exit', r));
      doomed.kill('SIGKILL');
      await exited;
      const rescuer = startWorker(false);
      const done = await queue.waitFor(id, 30_000);

      expect(done).toMatchObject({ state: 'completed', result: { answeredBy: rescuer.pid } });
      expect(lines()).toEqual([`start ${doomed.pid} ${id}`, `start ${rescuer.pid} ${id}`, `done ${rescuer.pid} ${id}`]);
      // Nothing runs it a third time once it is done.
      await sleep(1500);
      expect(lines().filter((l) => l.startsWith('done'))).toHaveLength(1);
      expect((await queue.counts()).completed).toBe(1);
      rescuer.kill('SIGTERM');
      await new Promise((r) => rescuer.once('exit', r));
    } finally {
      await queue.obliterate();
      await queue.close();
    }
  }, 60_000);
});
