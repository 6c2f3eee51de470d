import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const BIN = path.resolve(__dirname, '../../bin/understudy.js');

function workspace(): string {
  const root = tmpDir('edges-');
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nRun deployctl rollback.\n' });
  return root;
}

describe('the process edges of the understudy command', () => {
  it('prints its version with --version and -V', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag], { cwd: workspace() });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  it('loads .env from the working directory, and variables already set win over it', async () => {
    const cwd = workspace();
    fs.writeFileSync(path.join(cwd, '.env'), '# copied from .env.example\nPORT=abc\n');
    const fromFile = await runCli(['avatar', 'list'], { cwd });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toMatch(/PORT must be a whole number/);
    const explicit = await runCli(['avatar', 'list'], { cwd, env: { PORT: '3001' } });
    expect(explicit.code).toBe(0);
  });

  it('exits 1 with a hint to set PORT when the port is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['serve'], { cwd: workspace(), env: { PORT: String(port), HOST: '127.0.0.1' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`port ${port} is already in use.*set PORT to a free port`));
    } finally {
      busy.close();
    }
  });

  it('exits quietly when the reader of its output goes away (| head)', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { cwd: workspace(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});
