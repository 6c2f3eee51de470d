import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { IngestProgress } from '../retrieval/ingest';

const LABELS: Record<IngestProgress['phase'], string> = { scan: 'scanning', load: 'reading files', embed: 'embedding', index: 'indexing', done: 'done' };

/** A progress bar on a TTY; otherwise one line per phase so logs stay readable. */
export function ingestProgress(stream: Writable, tty: boolean): { update: (p: IngestProgress) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  let phase: IngestProgress['phase'] | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(p) {
      if (p.phase !== phase) {
        stop();
        phase = p.phase;
        if (p.phase === 'done') return;
        if (tty && p.total > 1) {
          bar = new cliProgress.SingleBar(
            { stream: stream as NodeJS.WriteStream, format: `${LABELS[p.phase].padEnd(14)} [{bar}] {value}/{total} {item}`, hideCursor: true, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done, { item: '' });
        } else if (!tty && p.total > 0) {
          stream.write(`${LABELS[p.phase]}${p.total > 1 ? ` (${p.total})` : ''}...\n`);
        }
      }
      bar?.update(p.done, { item: (p.item ?? '').slice(-40) });
    },
    stop,
  };
}
