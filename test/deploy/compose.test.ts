import fs from 'node:fs';
import path from 'node:path';
import { Validator, type Schema } from '@cfworker/json-schema';
import { parse } from 'yaml';

// No Docker engine or compose plugin runs here: the file is checked against the Compose
// specification's own JSON schema (vendored in test/fixtures, see its $comment) and read for the
// shape production mode needs.
const ROOT = path.resolve(__dirname, '../..');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/compose-spec.json'), 'utf8')) as Schema;
/** As docker compose reads it: YAML merge keys (`<<: *understudy`) applied. */
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

function errorsOf(doc: unknown): string[] {
  const result = new Validator(schema, '7', false).validate(doc);
  return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
}

describe('docker-compose.yml', () => {
  it('is valid under the Compose specification', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it('would be caught by the schema check when wrong (the check is not vacuous)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.web.deploy = { replicas: [2] };
    broken.services.worker.restart_policy_typo = true;
    const errors = errorsOf(broken);
    expect(errors.some((e) => e.includes('/services/web/deploy/replicas'))).toBe(true);
    expect(errors.some((e) => e.includes('restart_policy_typo'))).toBe(true);
  });

  it('runs PostgreSQL, Redis, two web and two worker replicas, each role in its command', () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual(['postgres', 'redis', 'web', 'worker']);
    expect(services.postgres.image).toMatch(/^postgres:/);
    expect(services.redis.image).toMatch(/^redis:/);
    for (const role of ['web', 'worker']) {
      const s = services[role];
      expect(s.command).toEqual(['node', 'bin/understudy.js', 'serve', '--role', role]);
      expect(s.deploy?.replicas).toBe(2);
    }
  });

  it('points every replica at the database and Redis services, after they are healthy', () => {
    for (const role of ['web', 'worker']) {
      const s = compose.services[role];
      expect(s.environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(s.environment?.REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
  });

  it('gives every service a health check, the replicas on /readyz', () => {
    for (const [name, s] of Object.entries(compose.services)) expect([name, s.healthcheck?.test.length]).toEqual([name, expect.any(Number)]);
    expect(compose.services.web.healthcheck?.test.join(' ')).toMatch(/\/readyz/);
    expect(compose.services.worker.healthcheck?.test.join(' ')).toMatch(/\/readyz/);
  });

  it('shares one data volume (the indexes) between web and worker replicas, at the data dir they use', () => {
    for (const role of ['web', 'worker']) {
      const s = compose.services[role];
      const dataDir = s.environment?.UNDERSTUDY_DATA_DIR;
      expect(s.volumes).toContain(`data:${dataDir}`);
    }
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['data', 'avatars', 'postgres', 'redis']));
  });
});
