import { AvatarService } from '../src/app/avatar-service';
import { localEmbedderFactory } from '../src/retrieval/embedders';
import { SqliteStateStore } from '../src/store/sqlite-store';

/** Run in a fresh process: cold-load one avatar's index and report time and memory as JSON. */
async function main(): Promise<void> {
  const [avatarsDir, dataDir, slug] = process.argv.slice(2);
  const svc = new AvatarService({ avatarsDir, dataDir, embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  const start = process.hrtime.bigint();
  const index = svc.index(slug);
  index.load();
  await index.search('warm up the first query', { k: 5 });
  const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
  const peak = process.memoryUsage().rss;
  global.gc?.();
  const settled = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ loadMs, peakRssMb: Math.round(peak / 1048576), rssMb: Math.round(settled / 1048576) }));
  svc.close();
}

void main();
