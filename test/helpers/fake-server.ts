import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP server behind a fake API (Slack, Feishu, the sign-in providers): a free port on
 * 127.0.0.1, each request handed over with its whole body (UTF-8).
 */
export async function listenFake(onRequest: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => onRequest(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Stops a fake's server, cutting kept-alive connections so the test does not wait on them. */
export async function closeFake(server: http.Server | undefined): Promise<void> {
  if (!server) return;
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
}
