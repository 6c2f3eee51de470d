import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Slack's Web API as the workers see it: passed through to the fake, except one call it holds (Slack did it; the caller never hears back). */
export class HoldingProxy {
  private server: http.Server | undefined;
  private readonly held: http.ServerResponse[] = [];
  url = '';
  /** Set to hold the next call it matches; cleared once it has held one. */
  holdNext: ((method: string, body: string) => boolean) | undefined;
  heldOne: Promise<void>;
  private onHeld: () => void = () => undefined;

  constructor(private readonly target: string) {
    this.heldOne = new Promise((resolve) => (this.onHeld = resolve));
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '');
        const hold = this.holdNext?.(method, body) ?? false;
        if (hold) this.holdNext = undefined;
        const headers: Record<string, string> = {};
        for (const k of ['content-type', 'authorization']) if (req.headers[k]) headers[k] = String(req.headers[k]);
        fetch(`${this.target}${method}`, { method: 'POST', headers, body }).then(
          async (r) => {
            const text = await r.text();
            if (hold) {
              this.held.push(res);
              this.onHeld();
              return;
            }
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
            res.end(text);
          },
          () => res.destroy(),
        );
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/api/`;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
