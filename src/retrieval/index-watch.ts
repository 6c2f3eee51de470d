import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { connectRedis } from '../store/redis-connection';
import { onIndexPublished } from './index-versions';

/** The Redis channel announcing a newly published index version: `{ slug, version, origin }`. */
export const INDEX_PUBLISHED_CHANNEL = 'understudy:index-published';

export interface IndexWatch {
  close(): Promise<void>;
}

interface Announcement {
  slug: string;
  version: string;
  origin: string;
}

function isAnnouncement(a: unknown): a is Announcement {
  const o = a as Partial<Announcement> | null;
  return typeof o?.slug === 'string' && typeof o.version === 'string' && typeof o.origin === 'string';
}

/**
 * Production mode (REDIS_URL): every version this process publishes is announced on
 * INDEX_PUBLISHED_CHANNEL, and versions other replicas announce reach `onPublished`, so they
 * load a new version at once instead of at their next pointer check. Subscribing takes a
 * connection of its own (a subscribed ioredis client can do nothing else). Without Redis the
 * pointer check alone picks new versions up (AvatarIndex reads current.json at most once a second).
 */
export async function watchIndexes(redisUrl: string, onPublished: (slug: string, version: string) => void, log: Logger = silentLogger): Promise<IndexWatch> {
  const origin = crypto.randomBytes(8).toString('hex');
  const publisher = await connectRedis(redisUrl);
  let subscriber: Redis;
  try {
    subscriber = await connectRedis(redisUrl);
  } catch (err) {
    publisher.disconnect();
    throw err;
  }
  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (err) => log.error({ err, connection: name }, 'index announcements: Redis connection error'));
  }
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== INDEX_PUBLISHED_CHANNEL) return;
    let a: unknown;
    try {
      a = JSON.parse(message);
    } catch (err) {
      a = err;
    }
    if (!isAnnouncement(a)) {
      log.warn({ channel, message: message.slice(0, 200) }, 'ignoring a malformed index announcement');
      return;
    }
    if (a.origin === origin) return;
    try {
      onPublished(a.slug, a.version);
    } catch (err) {
      // The pointer check picks the version up later all the same.
      log.error({ err, avatar: a.slug, version: a.version }, 'cannot load an announced index version');
    }
  });
  await subscriber.subscribe(INDEX_PUBLISHED_CHANNEL);
  const stop = onIndexPublished((slug, version) => {
    publisher.publish(INDEX_PUBLISHED_CHANNEL, JSON.stringify({ slug, version, origin } satisfies Announcement)).catch((err: unknown) => {
      log.error({ err, avatar: slug, version }, 'cannot announce a published index version; other replicas pick it up at their next pointer check');
    });
  });
  return {
    async close() {
      stop();
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
