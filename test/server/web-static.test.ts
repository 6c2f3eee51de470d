import path from 'node:path';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { createJobQueue } from '../../src/jobs/queue';
import type { JobQueue } from '../../src/jobs/types';
import { silentLogger } from '../../src/log';
import { mountAdminConsole } from '../../src/server/admin/console';
import { HttpServer } from '../../src/server/http-server';
import { tmpDir, write } from '../helpers/fixtures';

// The admin console on a replica without the playground (a Slack or Feishu deployment) serves the
// bundle's files itself, through the same module as the chat page: same types, cache, guard, favicon.

describe('admin console without the playground: the bundle', () => {
  const web = tmpDir('admin-web-');
  write(web, 'admin.html', '<!doctype html><title>console</title><script type="module" src="/assets/admin-abc123.js"></script>');
  write(web, 'assets/admin-abc123.js', 'console.log(1)');
  write(web, 'favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  let rt: Runtime;
  let queue: JobQueue;
  let server: HttpServer;
  let base = '';

  beforeAll(async () => {
    const root = tmpDir('admin-static-');
    rt = createRuntime({ PORT: '0', ADMIN_TOKEN: 'admin-static-token-0123456789' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    queue = createJobQueue({ log: silentLogger });
    server = new HttpServer();
    mountAdminConsole(server, rt, { queue, distDir: web, serveAssets: true });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await server.close();
    await queue.close();
    await rt.close();
  });

  it('serves the sign-in page with its own CSP, and the assets as the chat page does', async () => {
    const page = await fetch(`${base}/admin/sign-in`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'.*form-action 'self'/);
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const js = await fetch(`${base}/assets/admin-abc123.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    expect((await fetch(`${base}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    // Browsers ask for /favicon.ico on their own: sent to the SVG, not a 404.
    const ico = await fetch(`${base}/favicon.ico`, { redirect: 'manual' });
    expect([ico.status, ico.headers.get('location')]).toEqual([301, '/favicon.svg']);
  });

  it('serves nothing outside the bundle', async () => {
    for (const p of ['/assets/nope.js', '/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/admin.html', '/assets/%00.js']) {
      expect([p, (await fetch(`${base}${p}`)).status]).toEqual([p, 404]);
    }
  });
});
