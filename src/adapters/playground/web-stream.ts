import type http from 'node:http';

/** How often an idle stream sends a comment, so that proxies keep it open while the model thinks. */
const HEARTBEAT_MS = 15_000;

/**
 * A server-sent event stream on a response: `event: <name>` with one JSON `data:` line each
 * (JSON never holds a raw newline, so a value can never end an event early or forge another).
 */
export class EventStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly res: http.ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Tell nginx and friends not to buffer: each event should reach the page at once.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    res.on('close', () => this.stop());
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
    this.stop();
  }

  private write(chunk: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.write(chunk);
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
  }
}

/** Whether the client asked for a stream of events rather than one JSON answer. */
export function wantsEvents(req: http.IncomingMessage): boolean {
  return (req.headers.accept ?? '').split(',').some((t) => t.split(';')[0].trim().toLowerCase() === 'text/event-stream');
}
