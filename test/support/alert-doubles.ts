/**
 * What the alert tests talk to, on loopback:
 *
 * - a webhook receiver, as Slack, Teams or Discord would be: it keeps every alert it took, and can
 *   be told to fail the next requests (503) or to hang (take the request and never answer);
 * - a door in front of the Propexo sandbox that can refuse every request with 401, as Propexo does
 *   when it refuses the token, and let them through again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedAlert {
  /** The body as it came, for the hygiene checks. */
  raw: string;
  body: { text: string; content: string; event: string; kind: string; key: string; [field: string]: unknown };
}

export interface WebhookReceiver {
  url: string;
  /** Alerts answered 200, in order. */
  readonly taken: ReceivedAlert[];
  /** Every request, answered or not. */
  readonly requests: number;
  /** Requests held open right now (hang mode). */
  readonly hanging: number;
  /** The next `n` requests get 503. */
  failNext(n: number): void;
  /** From now on, requests are taken and never answered (until hang(false)). */
  hang(on: boolean): void;
  /** Taken alerts of this event (and key, if given). */
  of(event: string, key?: string): ReceivedAlert[];
  close(): Promise<void>;
}

function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string; sockets: Set<Socket> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}`, sockets });
    });
  });
}

const bodyOf = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    req
      .on('data', (b: Buffer) => parts.push(b))
      .on('end', () => resolve(Buffer.concat(parts)))
      .on('error', reject);
  });

function closing(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A webhook receiver at `/hooks/<token-like path>` (the path is part of the URL's secret, as Slack's is). */
export async function startWebhookReceiver(path = '/hooks/T0001/B0002/receiver-token-abcdef'): Promise<WebhookReceiver> {
  const taken: ReceivedAlert[] = [];
  let requests = 0;
  let failures = 0;
  let hangMode = false;
  const held = new Set<ServerResponse>();
  const { server, url, sockets } = await listen(async (req, res) => {
    requests += 1;
    const raw = (await bodyOf(req)).toString('utf8');
    if (req.method !== 'POST' || req.url !== path || req.headers['content-type'] !== 'application/json') {
      res.writeHead(404).end('no_service');
      return;
    }
    if (hangMode) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (failures > 0) {
      failures -= 1;
      res.writeHead(503).end('try later');
      return;
    }
    taken.push({ raw, body: JSON.parse(raw) as ReceivedAlert['body'] });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  return {
    url: url + path,
    taken,
    get requests() {
      return requests;
    },
    get hanging() {
      return held.size;
    },
    failNext(n) {
      failures = n;
    },
    hang(on) {
      hangMode = on;
    },
    of: (event, key) => taken.filter((a) => a.body.event === event && (key === undefined || a.body.key === key)),
    close: () => closing(server, sockets),
  };
}

export interface PropexoDoor {
  url: string;
  /** true: every request is answered 401 as Propexo answers a refused token. */
  refuse(on: boolean): void;
  /**
   * Creates whose last name is `lastName` are answered 400, Propexo's errorResponse with a Zod issue on
   * `phone_1`: a rule of Propexo's the relay does not know, about the prospect's data, not the site's ids.
   */
  refuseCreatesOf(lastName: string): void;
  /** Lets creates with this last name through again. */
  admitCreatesOf(lastName: string): void;
  close(): Promise<void>;
}

function lastNameOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { last_name?: unknown };
    return typeof parsed.last_name === 'string' ? parsed.last_name : '';
  } catch {
    return '';
  }
}

/** A pass-through to `target` (the sandbox) that can refuse everything with 401, or some creates with 400. */
export async function startPropexoDoor(target: string): Promise<PropexoDoor> {
  let refusing = false;
  const refusedNames = new Set<string>();
  const { server, url, sockets } = await listen(async (req, res) => {
    const body = await bodyOf(req);
    if (req.method === 'POST' && req.url?.startsWith('/v1/leads/resman') && refusedNames.has(lastNameOf(body))) {
      const issue = { code: 'custom', path: ['phone_1'], message: 'Phone number is not reachable' };
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { code: 'invalid_request', message: 'invalid request', details: { details: { issues: [issue], name: 'ZodError' } } },
        }),
      );
      return;
    }
    if (refusing) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'unauthorized', message: 'Invalid bearer token' } }));
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
    try {
      const answer = await fetch(target + req.url, { method: req.method, headers, ...(body.length ? { body: new Uint8Array(body) } : {}) });
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
      });
      res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  });
  return {
    url,
    refuse(on) {
      refusing = on;
    },
    refuseCreatesOf(lastName) {
      refusedNames.add(lastName);
    },
    admitCreatesOf(lastName) {
      refusedNames.delete(lastName);
    },
    close: () => closing(server, sockets),
  };
}
