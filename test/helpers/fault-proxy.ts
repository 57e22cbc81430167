// A loopback HTTP proxy in front of a real (plain-HTTP) registry that injects faults:
// connection resets (before the answer or part-way through the body), delays, and canned
// 503/429 answers for the first N matching requests. It records every request, so tests can
// count what a client sent. The Host header is passed through, so the registry's Location
// headers keep pointing at the proxy.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type FaultAction =
  | { kind: 'reset' }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number };

export interface ProxyFault {
  match?: (method: string, path: string) => boolean;
  /** Matching requests it applies to (default 1); Infinity for all. */
  times?: number;
  action: FaultAction;
}

export interface ProxyRecord {
  method: string;
  path: string;
  status: number | 'reset';
  range?: string;
  /** How many requests (this one included) were open when it arrived. */
  openOnArrival: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use it in references instead of the registry's host. */
  readonly host: string;
  readonly requests: ProxyRecord[];
  inject(fault: ProxyFault): void;
  clear(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const faults: ProxyFault[] = [];
  const requests: ProxyRecord[] = [];

  const take = (method: string, path: string): FaultAction | undefined => {
    const f = faults.find((x) => (x.times ?? 1) > 0 && (x.match?.(method, path) ?? true));
    if (f === undefined) return undefined;
    f.times = (f.times ?? 1) - 1;
    return f.action;
  };

  let open = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    open += 1;
    res.on('close', () => void (open -= 1));
    const record: ProxyRecord = {
      method, path, status: 'reset', openOnArrival: open, ...(req.headers.range ? { range: String(req.headers.range) } : {}),
    };
    requests.push(record);
    let action = take(method, path);
    if (action?.kind === 'delay') {
      await sleep(action.ms);
      action = undefined;
    }
    if (action?.kind === 'reset') {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'status') {
      req.resume();
      record.status = action.status;
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by fault-proxy' }] }));
      return;
    }
    const cut = action?.kind === 'cut' ? action.afterBytes : undefined;
    const upstream = httpRequest({ host: targetHost, port: Number(targetPort), method, path, headers: req.headers }, (up) => {
      record.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (cut === undefined) return void up.pipe(res);
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        if (sent >= cut) return;
        const part = chunk.subarray(0, cut - sent);
        sent += part.length;

        if (sent < cut) return void res.write(part);
        up.destroy();
        // let the client read what was sent before the connection drops
        res.write(part, () => setTimeout(() => res.socket?.destroy(), 50));
      });
      up.on('end', () => res.end());
    });
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    inject: (f) => void faults.push(f),
    clear: () => void faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
