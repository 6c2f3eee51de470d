import path from 'node:path';
import { z } from 'zod';
import { UnderstudyError } from '../errors';
import { databaseUrlProblem, redisUrlProblem } from './service-urls';
import { parseMcpTokens, type McpToken } from './mcp-tokens';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });
const url = optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s) URL');

/** Every environment variable Understudy reads. README.md documents each one. */
export const envSchema = z
  .object({
    PORT: positiveInt(3000),
    HOST: optionalString,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).optional().default('auto'),
    LOG_BODIES: flag,
    UNDERSTUDY_DATA_DIR: optionalString,
    UNDERSTUDY_AVATARS_DIR: optionalString,
    UNDERSTUDY_ADMINS: optionalString,
    UNDERSTUDY_RATE_USER_PER_MIN: positiveInt(10),
    UNDERSTUDY_RATE_WORKSPACE_PER_MIN: positiveInt(300),
    UNDERSTUDY_CONSENT_TTL_DAYS: positiveInt(7),
    UNDERSTUDY_PLAYGROUND: flag,
    PLAYGROUND_TOKEN: optionalString,
    MCP_TOKENS: optionalString,
    // The admin console's sign-in secret (README "Admin console"); never logged.
    ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters (e.g. openssl rand -hex 24)'),
    // Where people reach the console (https://understudy.example.com): turns on Slack / Feishu sign-in, whose redirect URLs start with it.
    ADMIN_URL: url,
    // Sign in with Slack (OpenID Connect): the Slack app's client id and secret.
    SLACK_CLIENT_ID: optionalString,
    SLACK_CLIENT_SECRET: optionalString,
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url,
    OPENAI_MODEL: optionalString,
    OPENAI_EMBEDDING_MODEL: optionalString,
    UNDERSTUDY_SEMANTIC: z.enum(['on', 'off']).optional().default('on'),
    OPENAI_QUERY_REWRITE: z.enum(['on', 'off']).optional().default('off'),
    OPENAI_TIMEOUT_MS: positiveInt(15_000),
    OPENAI_MAX_RETRIES: positiveInt(1),
    OPENAI_BREAKER_FAILURES: positiveInt(3),
    OPENAI_BREAKER_COOLDOWN_MS: positiveInt(60_000),
    ANSWER_TIMEOUT_MS: positiveInt(25_000),
    UNDERSTUDY_ANSWER_CONCURRENCY: positiveInt(4),
    UNDERSTUDY_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    // Production mode (README "Production mode: PostgreSQL + Redis"): DATABASE_URL holds the durable
    // state, REDIS_URL dedupe, locks, the cache and the job queue. They go together: one without the
    // other is refused at start (replicas sharing a queue but not their state would answer twice).
    DATABASE_URL: optionalString,
    REDIS_URL: optionalString,
    // How long a worker's hold on a job lasts without renewal: a job whose worker died is run again after about this long.
    UNDERSTUDY_JOB_LOCK_MS: positiveInt(30_000).refine((n) => n >= 1_000 && n <= 3_600_000, 'must be between 1000 and 3600000 milliseconds (1 s to 1 h)'),
    UNDERSTUDY_QUEUE: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9._-]+$/.test(v), 'must be letters, digits, dots, dashes or underscores (no colon)'),
    UNDERSTUDY_INDEX_MEMORY_MB: positiveInt(1024),
    // Read by util/malloc-tuning at the start of serve (glibc's mmap threshold and trims after unloads); validated here.
    UNDERSTUDY_MALLOC_TUNING: z.enum(['on', 'off']).optional().default('on'),
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_BOT_TOKEN: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_MODE: z.enum(['http', 'socket']).optional().default('http'),
    SLACK_API_URL: url,
    LARK_APP_ID: optionalString,
    LARK_APP_SECRET: optionalString,
    LARK_ENCRYPT_KEY: optionalString,
    LARK_VERIFICATION_TOKEN: optionalString,
    LARK_MODE: z.enum(['webhook', 'ws']).optional().default('webhook'),
    LARK_DOMAIN: url,
  })
  .superRefine((env, ctx) => {
    const dbProblem = env.DATABASE_URL === undefined ? undefined : databaseUrlProblem(env.DATABASE_URL);
    if (dbProblem) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: dbProblem });
    const redisProblem = env.REDIS_URL === undefined ? undefined : redisUrlProblem(env.REDIS_URL);
    if (redisProblem) ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: redisProblem });
    if (env.DATABASE_URL && !env.REDIS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'is required when DATABASE_URL is set: production mode needs both DATABASE_URL (PostgreSQL) and REDIS_URL (dedupe, locks, the cache and the job queue). Set REDIS_URL=redis://host:6379/0, or unset DATABASE_URL for the embedded mode',
      });
    }
    if (env.REDIS_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required when REDIS_URL is set: production mode needs both DATABASE_URL (PostgreSQL, the state every replica shares) and REDIS_URL. Set DATABASE_URL=postgres://user:password@host:5432/database, or unset REDIS_URL for the embedded mode',
      });
    }
    for (const problem of env.MCP_TOKENS ? parseMcpTokens(env.MCP_TOKENS).problems : []) ctx.addIssue({ code: 'custom', path: ['MCP_TOKENS'], message: problem });
    if (env.SLACK_BOT_TOKEN && !env.SLACK_BOT_TOKEN.startsWith('xoxb-')) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'must be a bot token starting with xoxb-' });
    }
    if (env.SLACK_BOT_TOKEN && env.SLACK_MODE === 'http' && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'is required when SLACK_BOT_TOKEN is set in http mode' });
    }
    if (env.SLACK_MODE === 'socket' && env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_APP_TOKEN'], message: 'is required when SLACK_MODE=socket' });
    }
    if (env.SLACK_APP_TOKEN && !env.SLACK_APP_TOKEN.startsWith('xapp-')) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_APP_TOKEN'], message: 'must be an app-level token starting with xapp-' });
    }
    if (Boolean(env.SLACK_CLIENT_ID) !== Boolean(env.SLACK_CLIENT_SECRET)) {
      ctx.addIssue({ code: 'custom', path: [env.SLACK_CLIENT_ID ? 'SLACK_CLIENT_SECRET' : 'SLACK_CLIENT_ID'], message: 'is required for Sign in with Slack: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together (the app\'s Basic Information page)' });
    }
    if (env.LARK_APP_ID && !env.LARK_APP_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['LARK_APP_SECRET'], message: 'is required when LARK_APP_ID is set' });
    }
    if (env.LARK_APP_ID && env.LARK_MODE === 'webhook' && !env.LARK_ENCRYPT_KEY && !env.LARK_VERIFICATION_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['LARK_ENCRYPT_KEY'],
        message: 'webhook mode needs LARK_ENCRYPT_KEY or LARK_VERIFICATION_TOKEN so that forged requests can be rejected',
      });
    }
  });

export interface ModelConfig {
  apiKey?: string;
  baseURL?: string;
  model: string;
}

/** How long model calls may take and when to stop trying (README: "Slow or failing models"). */
export interface ModelLimits {
  /** One attempt's wait for the endpoint to start answering (OPENAI_TIMEOUT_MS). */
  timeoutMs: number;
  /** Retries after a failed attempt (OPENAI_MAX_RETRIES). */
  maxRetries: number;
  /** Everything one answer may spend on the model, all attempts included (ANSWER_TIMEOUT_MS). */
  answerBudgetMs: number;
  /** Consecutive failures that open the circuit breaker (OPENAI_BREAKER_FAILURES; 0 turns it off). */
  breakerFailures: number;
  /** How long the open breaker answers offline before trying the model again (OPENAI_BREAKER_COOLDOWN_MS). */
  breakerCooldownMs: number;
}

export interface Config {
  port: number;
  host?: string;
  log: { level: string; format: 'auto' | 'json' | 'pretty'; bodies: boolean };
  dataDir: string;
  avatarsDir: string;
  /** Platform-qualified user ids (`slack:U123`, `lark:ou_abc`) allowed to administer avatars. */
  admins: string[];
  rateLimits: { userPerMinute: number; workspacePerMinute: number };
  consentTtlDays: number;
  modelLimits: ModelLimits;
  /** Questions answered at once across conversations (UNDERSTUDY_ANSWER_CONCURRENCY). */
  answerConcurrency: number;
  /** How long SIGTERM waits for in-flight answers before abandoning them (UNDERSTUDY_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** REDIS_URL: dedupe, locks, the cache and the job queue on Redis (production mode, always with DATABASE_URL); without it, everything stays in process. */
  redisUrl?: string;
  /** DATABASE_URL: durable state on PostgreSQL (production mode, always with REDIS_URL); without it, SQLite in the data dir. */
  databaseUrl?: string;
  /** UNDERSTUDY_JOB_LOCK_MS: a worker's hold on a job; a job whose worker died runs again after about this long (BullMQ). */
  jobLockMs: number;
  /** UNDERSTUDY_QUEUE: the job queue's name on Redis, for several deployments on one Redis. */
  queueName: string;
  /** UNDERSTUDY_INDEX_MEMORY_MB: avatar indexes held in memory at once, least recently used evicted beyond it. */
  indexMemoryMb: number;
  /** Keep the web playground on even when a chat platform is configured. */
  playground: boolean;
  /** PLAYGROUND_TOKEN: required by the web playground's API when set, and to listen beyond loopback. */
  playgroundToken?: string;
  /** MCP_TOKENS: bearer tokens for POST /mcp, each standing for a chat user; empty turns the endpoint off. */
  mcpTokens: McpToken[];
  /** ADMIN_TOKEN: signs an admin into the console at /admin; without it (and without OAuth) nobody can. */
  adminToken?: string;
  /** ADMIN_URL and the platform credentials: Sign in with Slack / Feishu for the console (README "Admin console"). */
  adminOAuth: { url?: string; slack?: { clientId: string; clientSecret: string; apiUrl?: string } };
  /** Present when an OpenAI-compatible chat model is configured. */
  llm?: ModelConfig;
  /** Present when OPENAI_EMBEDDING_MODEL is set; otherwise the built-in local embedder is used. */
  embeddings?: ModelConfig;
  /** UNDERSTUDY_SEMANTIC=off: no offline semantic layer (USE lite) beside the local index. */
  semantic: boolean;
  /** OPENAI_QUERY_REWRITE=on: with a chat model, each question is also searched in the model's rephrasings (one more model call). */
  queryRewrite: boolean;
  slack?: { signingSecret?: string; botToken?: string; appToken?: string; mode: 'http' | 'socket'; apiUrl?: string };
  lark?: {
    appId: string;
    appSecret: string;
    encryptKey?: string;
    verificationToken?: string;
    mode: 'webhook' | 'ws';
    domain?: string;
  };
  /** The raw environment, for per-avatar secrets named in avatar.yaml. */
  env: NodeJS.ProcessEnv;
}

export interface ConfigOverrides {
  dataDir?: string;
  avatarsDir?: string;
  port?: number;
}

/** Read and validate the environment once. Explicit overrides win over the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'} ${i.message}`);
    throw new UnderstudyError('CONFIG_INVALID', `Invalid environment: ${lines.join('; ')}`, {
      details: { variables: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  const e = parsed.data;
  const llmOn = Boolean(e.OPENAI_API_KEY || e.OPENAI_BASE_URL);
  const model: ModelConfig = { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL ?? 'gpt-4o-mini' };
  return {
    port: overrides.port ?? e.PORT,
    host: e.HOST,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT, bodies: e.LOG_BODIES },
    dataDir: path.resolve(cwd, overrides.dataDir ?? e.UNDERSTUDY_DATA_DIR ?? 'data'),
    avatarsDir: path.resolve(cwd, overrides.avatarsDir ?? e.UNDERSTUDY_AVATARS_DIR ?? 'avatars'),
    admins: (e.UNDERSTUDY_ADMINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    rateLimits: { userPerMinute: e.UNDERSTUDY_RATE_USER_PER_MIN, workspacePerMinute: e.UNDERSTUDY_RATE_WORKSPACE_PER_MIN },
    consentTtlDays: e.UNDERSTUDY_CONSENT_TTL_DAYS,
    modelLimits: {
      timeoutMs: e.OPENAI_TIMEOUT_MS,
      maxRetries: e.OPENAI_MAX_RETRIES,
      answerBudgetMs: e.ANSWER_TIMEOUT_MS,
      breakerFailures: e.OPENAI_BREAKER_FAILURES,
      breakerCooldownMs: e.OPENAI_BREAKER_COOLDOWN_MS,
    },
    answerConcurrency: Math.max(1, e.UNDERSTUDY_ANSWER_CONCURRENCY),
    shutdownTimeoutMs: e.UNDERSTUDY_SHUTDOWN_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    queueName: e.UNDERSTUDY_QUEUE ?? 'understudy',
    jobLockMs: e.UNDERSTUDY_JOB_LOCK_MS,
    indexMemoryMb: e.UNDERSTUDY_INDEX_MEMORY_MB,
    playground: e.UNDERSTUDY_PLAYGROUND,
    playgroundToken: e.PLAYGROUND_TOKEN,
    mcpTokens: e.MCP_TOKENS ? parseMcpTokens(e.MCP_TOKENS).tokens : [],
    adminToken: e.ADMIN_TOKEN,
    adminOAuth: {
      url: e.ADMIN_URL?.replace(/\/+$/, ''),
      slack: e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET ? { clientId: e.SLACK_CLIENT_ID, clientSecret: e.SLACK_CLIENT_SECRET, apiUrl: e.SLACK_API_URL } : undefined,
    },
    llm: llmOn ? model : undefined,
    embeddings: e.OPENAI_EMBEDDING_MODEL ? { ...model, model: e.OPENAI_EMBEDDING_MODEL } : undefined,
    semantic: e.UNDERSTUDY_SEMANTIC === 'on',
    queryRewrite: e.OPENAI_QUERY_REWRITE === 'on',
    slack:
      e.SLACK_BOT_TOKEN || e.SLACK_SIGNING_SECRET
        ? { signingSecret: e.SLACK_SIGNING_SECRET, botToken: e.SLACK_BOT_TOKEN, appToken: e.SLACK_APP_TOKEN, mode: e.SLACK_MODE, apiUrl: e.SLACK_API_URL }
        : undefined,
    lark: e.LARK_APP_ID
      ? {
          appId: e.LARK_APP_ID,
          appSecret: e.LARK_APP_SECRET ?? '',
          encryptKey: e.LARK_ENCRYPT_KEY,
          verificationToken: e.LARK_VERIFICATION_TOKEN,
          mode: e.LARK_MODE,
          domain: e.LARK_DOMAIN,
        }
      : undefined,
    env,
  };
}
