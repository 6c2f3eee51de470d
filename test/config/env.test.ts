import { loadConfig } from '../../src/config/env';

describe('loadConfig', () => {
  it('works with an empty environment: local embedder, offline answers, no platforms', () => {
    const c = loadConfig({}, {}, '/srv/app');
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('/srv/app/data');
    expect(c.avatarsDir).toBe('/srv/app/avatars');
    expect(c.llm).toBeUndefined();
    expect(c.embeddings).toBeUndefined();
    expect(c.slack).toBeUndefined();
    expect(c.lark).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be a whole number/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 's' })).toThrow(/SLACK_BOT_TOKEN must be a bot token/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET is required/);
    expect(() => loadConfig({ LARK_APP_ID: 'cli_1', LARK_APP_SECRET: 's' })).toThrow(/LARK_ENCRYPT_KEY webhook mode needs/);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'localhost:11434' })).toThrow(/OPENAI_BASE_URL must be an http/);
  });

  it('switches on the model with OPENAI_BASE_URL alone (Ollama, vLLM) and embeddings only when named', () => {
    const c = loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_MODEL: 'qwen2.5' });
    expect(c.llm).toEqual({ apiKey: undefined, baseURL: 'http://127.0.0.1:11434/v1', model: 'qwen2.5' });
    expect(c.embeddings).toBeUndefined();
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small' }).embeddings?.model).toBe('text-embedding-3-small');
  });

  it('lets explicit options win over the environment', () => {
    const c = loadConfig({ UNDERSTUDY_DATA_DIR: '/env/data', PORT: '4000' }, { dataDir: '/opt/d', port: 5000 });
    expect(c.dataDir).toBe('/opt/d');
    expect(c.port).toBe(5000);
  });
});

describe('production mode settings', () => {
  it('refuses REDIS_URL without DATABASE_URL and the reverse, naming both variables', () => {
    const bothNamed = (env: NodeJS.ProcessEnv, missing: string): void => {
      let message = '';
      try {
        loadConfig(env);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`${missing} is required when`));
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('REDIS_URL');
    };
    bothNamed({ REDIS_URL: 'redis://127.0.0.1:6379/0' }, 'DATABASE_URL');
    bothNamed({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' }, 'REDIS_URL');
    const both = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/0', DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    expect(both.redisUrl).toBe('redis://127.0.0.1:6379/0');
    expect(both.databaseUrl).toBe('postgres://u@127.0.0.1:5432/db');
  });

  it('reads UNDERSTUDY_JOB_LOCK_MS (30 s by default) and refuses a value out of range', () => {
    expect(loadConfig({}).jobLockMs).toBe(30_000);
    expect(loadConfig({ UNDERSTUDY_JOB_LOCK_MS: '2000' }).jobLockMs).toBe(2_000);
    expect(() => loadConfig({ UNDERSTUDY_JOB_LOCK_MS: '50' })).toThrow(/UNDERSTUDY_JOB_LOCK_MS must be between 1000 and 3600000/);
    expect(() => loadConfig({ UNDERSTUDY_JOB_LOCK_MS: 'soon' })).toThrow(/UNDERSTUDY_JOB_LOCK_MS must be a whole number/);
  });
});
