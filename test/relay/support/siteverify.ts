/**
 * A stand-in for Cloudflare Turnstile's siteverify, as a real HTTP server on 127.0.0.1 (port 0): it
 * reads the form-encoded POST as Cloudflare does and answers in its documented shape
 * (`success`, `error-codes`, `hostname`, `challenge_ts`). Like Cloudflare it refuses a wrong secret,
 * and spends a response once: the same response again gets `timeout-or-duplicate`, unless it comes
 * with the same `idempotency_key`, which gets the first answer back.
 *
 * `mode` decides what a fresh response gets: `pass`, `fail` (`invalid-input-response`),
 * `internal_error`, `http_503`, `reset` (the connection dropped), `hang` (no answer at all) or
 * `garbage` (200 with HTML).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SiteverifyMode = 'pass' | 'fail' | 'internal_error' | 'http_503' | 'reset' | 'hang' | 'garbage';

export interface SiteverifyCall {
  method: string;
  path: string;
  contentType: string | undefined;
  /** The decoded form fields. */
  form: Record<string, string>;
}

export interface SiteverifyDouble {
  /** The full siteverify URL, for TURNSTILE_VERIFY_URL. */
  url: string;
  calls: SiteverifyCall[];
  mode: SiteverifyMode;
  close(): Promise<void>;
}

export const SITEVERIFY_PATH = '/turnstile/v0/siteverify';

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSiteverify(options: { secret: string; hostname?: string }): Promise<SiteverifyDouble> {
  const spent = new Map<string, { key: string | undefined; answer: object }>();
  const double: SiteverifyDouble = { url: '', calls: [], mode: 'pass', close: async () => {} };

  const server: Server = createServer(async (req, res) => {
    const text = await bodyOf(req);
    const form = Object.fromEntries(new URLSearchParams(text));
    double.calls.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'], form });
    const send = (status: number, answer: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    };
    const failure = (...codes: string[]) => ({ success: false, 'error-codes': codes, messages: [] });

    if (req.method !== 'POST' || req.url !== SITEVERIFY_PATH) return send(405, failure('bad-request'));
    if (!form.secret) return send(200, failure('missing-input-secret'));
    if (form.secret !== options.secret) return send(200, failure('invalid-input-secret'));
    if (!form.response) return send(200, failure('missing-input-response'));
    const before = spent.get(form.response);
    if (before)
      return send(200, before.key !== undefined && before.key === form.idempotency_key ? before.answer : failure('timeout-or-duplicate'));

    switch (double.mode) {
      case 'hang':
        return; // never answered; close() drops the connection
      case 'reset':
        return req.socket.destroy();
      case 'http_503':
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('upstream unavailable');
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>Just a moment…</html>');
      case 'internal_error':
        return send(200, failure('internal-error'));
      default: {
        const answer =
          double.mode === 'pass'
            ? {
                success: true,
                challenge_ts: '2025-06-01T12:00:00.000Z',
                hostname: options.hostname ?? 'www.oakgrove.example',
                'error-codes': [],
                action: '',
                cdata: '',
              }
            : failure('invalid-input-response');
        spent.set(form.response, { key: form.idempotency_key, answer });
        return send(200, answer);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  double.url = `http://127.0.0.1:${port}${SITEVERIFY_PATH}`;
  double.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return double;
}
