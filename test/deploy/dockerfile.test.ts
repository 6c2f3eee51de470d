import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

// No Docker engine runs here, so the image is checked by reading what builds it.
const ROOT = path.resolve(__dirname, '../..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const ignore = fs
  .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** Paths a .dockerignore pattern excludes, itself or as a folder prefix. */
function ignored(rel: string): boolean {
  return ignore.some((p) => picomatch(p)(rel) || picomatch(`${p}/**`)(rel));
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the Docker image', () => {
  it('installs exactly the lockfile with npm ci', () => {
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).not.toMatch(/RUN npm install\b/);
  });

  it('builds the web app into the image: web/ is in the build context before npm ci runs prepare', () => {
    const copyWeb = dockerfile.search(/^COPY web \.\/web$/m);
    expect(copyWeb).toBeGreaterThan(0);
    expect(copyWeb).toBeLessThan(dockerfile.search(/^RUN npm ci\b/m));
    expect(ignored('web/src/chat/main.tsx')).toBe(false);
    // The runtime stage takes dist/ whole, dist/web included.
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  });

  it('keeps the avatars directory, where /distill writes, in a volume', () => {
    const avatarsDir = /UNDERSTUDY_AVATARS_DIR=(\S+)/.exec(dockerfile)?.[1];
    const dataDir = /UNDERSTUDY_DATA_DIR=(\S+)/.exec(dockerfile)?.[1];
    const volumes = JSON.parse(/^VOLUME (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(avatarsDir).toBeDefined();
    expect(volumes).toEqual(expect.arrayContaining([avatarsDir, dataDir]));
  });

  it('ships none of the demo avatars\' private sources', () => {
    const privateFiles = listFiles(path.join(ROOT, 'avatars'))
      .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
      .filter((f) => f.includes('/corpus/private/'));
    expect(privateFiles.length).toBeGreaterThan(0);
    expect(privateFiles.filter((f) => !ignored(f))).toEqual([]);
    expect(ignored('avatars/lao-zhang/corpus/runbooks/deploy-billing-gateway.md')).toBe(false);
    expect(ignored('.env')).toBe(true);
  });
});
