/** The Redis the queue tests use: REDIS_URL when set, else the local one `.ci/run` starts. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
