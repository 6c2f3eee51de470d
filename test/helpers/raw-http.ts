import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * Raw HTTP to a server under test, so that Host, Origin and Cookie can be set as a browser (or an
 * attacker) would; fetch forbids some of them. `host` is the address to connect to (127.0.0.1);
 * the Host header is `127.0.0.1:<port>` unless `headers.host` says otherwise.
 */
export function rawRequest(port: number, method: string, url: string, options: { headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: options.host ?? '127.0.0.1', port, method, path: url, headers: { host: `127.0.0.1:${port}`, ...(options.headers ?? {}) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A POST whose body is sent in two parts: its first `firstBytes` now, the rest when `finish()` is
 * called (a client still sending while other requests come and go). `finish` resolves with the
 * status, 0 when the connection was closed under it (a test that failed first closes the server).
 */
export function slowRequest(url: string, headers: Record<string, string>, raw: string, firstBytes = 10): { finish: () => Promise<number> } {
  const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(raw)) } });
  const status = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
  req.write(raw.slice(0, firstBytes));
  return {
    finish: () => {
      req.end(raw.slice(firstBytes));
      return status;
    },
  };
}
