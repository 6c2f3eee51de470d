import { Writable } from 'node:stream';
import pino from 'pino';

/** A debug-level pino logger whose lines the test can read back as objects. */
export function capturingLogger(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}
