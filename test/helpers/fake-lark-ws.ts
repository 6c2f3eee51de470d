import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Feishu's long-connection frames (pbbp2.Frame), encoded by hand: SeqID=1, LogID=2, service=3,
 * method=4 (0 control, 1 data), headers=5 (key=1, value=2), payload=8.
 */
export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function field(no: number, wire: number): number[] {
  return varint(no * 8 + wire);
}

function bytesField(no: number, data: Uint8Array): number[] {
  return [...field(no, 2), ...varint(data.length), ...data];
}

export function encodeFrame(f: Frame): Buffer {
  const out: number[] = [...field(1, 0), ...varint(f.SeqID), ...field(2, 0), ...varint(f.LogID), ...field(3, 0), ...varint(f.service), ...field(4, 0), ...varint(f.method)];
  for (const h of f.headers) {
    const inner = [...bytesField(1, Buffer.from(h.key)), ...bytesField(2, Buffer.from(h.value))];
    out.push(...bytesField(5, Uint8Array.from(inner)));
  }
  if (f.payload) out.push(...bytesField(8, f.payload));
  return Buffer.from(out);
}

/** Read a varint at `pos`; returns the value and the position after it. */
function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  let i = pos;
  for (;;) {
    const b = buf[i++];
    result += (b & 0x7f) * mul;
    if (b < 128) return [result, i];
    mul *= 128;
  }
}

/** Length-delimited fields of a message, by field number (varints for wire type 0). */
function fields(buf: Uint8Array): { no: number; value: number | Uint8Array }[] {
  const out: { no: number; value: number | Uint8Array }[] = [];
  let i = 0;
  while (i < buf.length) {
    const [tag, a] = readVarint(buf, i);
    const no = Math.floor(tag / 8);
    if ((tag & 7) === 0) {
      const [v, b] = readVarint(buf, a);
      out.push({ no, value: v });
      i = b;
    } else {
      const [len, b] = readVarint(buf, a);
      out.push({ no, value: buf.subarray(b, b + len) });
      i = b + len;
    }
  }
  return out;
}

export function decodeFrame(buf: Uint8Array): Frame {
  const f: Frame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] };
  const text = (v: number | Uint8Array | undefined): string => (v === undefined ? '' : typeof v === 'number' ? String(v) : Buffer.from(v).toString('utf8'));
  for (const { no, value } of fields(buf)) {
    if (no === 1) f.SeqID = Number(value);
    else if (no === 2) f.LogID = Number(value);
    else if (no === 3) f.service = Number(value);
    else if (no === 4) f.method = Number(value);
    else if (no === 5 && typeof value !== 'number') {
      const kv = fields(value);
      f.headers.push({ key: text(kv.find((x) => x.no === 1)?.value), value: text(kv.find((x) => x.no === 2)?.value) });
    } else if (no === 8 && typeof value !== 'number') f.payload = Uint8Array.from(value);
  }
  return f;
}

/**
 * The server side of Feishu's long connection: accepts the SDK's WebSocket, pushes event
 * frames, and records each ack with its payload and the time it took.
 */
export class FakeLarkSocket {
  readonly connections: WebSocket[] = [];
  /** The connection of each app (the SDK connects with the URL the endpoint handed out). */
  readonly byApp = new Map<string, WebSocket>();
  /** Connections whose client has sent its first ping: by then it listens for frames. */
  private readonly ready = new Set<WebSocket>();
  readonly acks = new Map<string, { code: number; data?: unknown; ms: number }>();
  private readonly sentAt = new Map<string, number>();
  private server?: WebSocketServer;
  private seq = 0;
  url = '';

  async start(): Promise<void> {
    this.server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => this.server?.once('listening', () => r()));
    this.url = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
    this.server.on('connection', (ws, req) => {
      this.connections.push(ws);
      const app = new URL(req.url ?? '/', 'http://x').searchParams.get('app');
      if (app) this.byApp.set(app, ws);
      ws.on('message', (raw: Buffer) => {
        const f = decodeFrame(raw);
        const h = Object.fromEntries(f.headers.map((x) => [x.key, x.value]));
        if (f.method !== 1 || !h.message_id) {
          this.ready.add(ws);
          return;
        }
        const body = JSON.parse(Buffer.from(f.payload ?? new Uint8Array()).toString('utf8')) as { code: number; data?: string };
        const data = body.data ? (JSON.parse(Buffer.from(body.data, 'base64').toString('utf8')) as unknown) : undefined;
        this.acks.set(h.message_id, { code: body.code, data, ms: Date.now() - (this.sentAt.get(h.message_id) ?? Date.now()) });
      });
    });
  }

  async waitForConnection(n = 1, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.connections.filter((c) => c.readyState === c.OPEN && this.ready.has(c)).length < n) {
      if (Date.now() > until) throw new Error('the long-connection client never connected');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Push one event (the plaintext JSON body Feishu would send) to an app's connection; returns the frame's message id. */
  push(event: unknown, appId: string): string {
    const ws = this.byApp.get(appId);
    if (!ws) throw new Error(`app ${appId} has no long connection`);
    const id = `msg_${++this.seq}`;
    const frame = encodeFrame({
      SeqID: this.seq,
      LogID: this.seq,
      service: 7,
      method: 1,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'message_id', value: id },
        { key: 'sum', value: '1' },
        { key: 'seq', value: '0' },
        { key: 'trace_id', value: `trace_${this.seq}` },
      ],
      payload: Buffer.from(JSON.stringify(event)),
    });
    this.sentAt.set(id, Date.now());
    ws.send(frame);
    return id;
  }

  async waitForAck(id: string, timeoutMs = 5000): Promise<{ code: number; data?: unknown; ms: number }> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ack = this.acks.get(id);
      if (ack) return ack;
      if (Date.now() > until) throw new Error(`no ack for ${id}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const c of server.clients) c.terminate();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
