/**
 * What a generated hostile request is (Hostile), the state the generators share (World), the names
 * and secrets the relay under test is configured with, and turning a Hostile into a fetch Request
 * (or into text a person can replay when its answer breaks a rule).
 */
import type { Rng } from './prng.js';

export const ADMIN = 'adm_H0stile_admin_t0ken_5e3d9c';
export const HOOK = 'whsec_H0stile_h00k_9a7b1f';
export const PINE_ORIGIN = 'https://pineridge.example';
export const LOCAL_ORIGIN = 'http://localhost:8787'; // oak-grove's `http://localhost:{PORT}` with the fixtures' PORT
export const WEBHOOK = '/v1/propexo/webhooks';
export const MAX_WEBHOOK_BYTES = 64 * 1024;

/** A character the contract refuses, hidden in one field of an otherwise valid lead. */
export interface Refused {
  field: string;
  character: string;
}

export interface Hostile {
  /** Which generator made it, and the variant: for the tallies and for reproducing a failure. */
  kind: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** Sent as a ReadableStream in random chunks: no Content-Length, read by the body limit's stream path. */
  stream?: boolean;
  /** The trusted client-IP header the relay reads for this request, when any. */
  ipHeader?: string;
  /** A lead body with a refused character: never a new lead, and where the contract answers, that field named. */
  refused?: Refused;
}

export interface World {
  rng: Rng;
  /** Lead ids the relay answered 202 with, the job ids Propexo handed out, keys sent before. */
  ids: string[];
  jobs: () => number;
  usedKeys: string[];
  webhookBodies: Uint8Array[];
  serial: number;
}

const enc = new TextEncoder();
export const utf8 = (s: string) => enc.encode(s);
export const concat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export function toRequest(h: Hostile, rng: Rng): Request {
  let body: BodyInit | undefined = h.body as BodyInit | undefined;
  if (h.body && h.stream) {
    const bytes = h.body;
    const cuts: number[] = [];
    for (let at = 0; at < bytes.length; ) cuts.push((at = Math.min(bytes.length, at + rng.between(1, 8192))));
    let from = 0;
    body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const to = cuts.shift();
        if (to === undefined) return controller.close();
        controller.enqueue(bytes.slice(from, to));
        from = to;
      },
    });
  }
  return new Request(`http://localhost${h.path}`, {
    method: h.method,
    headers: h.headers,
    ...(body === undefined ? {} : { body, duplex: 'half' }),
  } as RequestInit);
}

/** The request as text a person can replay: method, path, headers, and the body (start, size, bytes). */
export function describeCase(h: Hostile, index: number, seed: number): string {
  const body = h.body;
  let shown = '';
  if (body) {
    const head = body.subarray(0, 400);
    let text: string;
    try {
      // Escaped past printable ASCII, so a BOM, a NUL or a lookalike shows as what it is.
      const ascii = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      text = JSON.stringify(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(head)).replace(/[^\x20-\x7e]/g, ascii);
    } catch {
      text = `base64:${Buffer.from(head).toString('base64')}`;
    }
    shown = `\n  body (${body.length} bytes${h.stream ? ', streamed without Content-Length' : ''}): ${text}${body.length > 400 ? ' …' : ''}`;
  }
  const headers = h.headers
    .map(([k, v]) => `\n  ${k}: ${JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v)}`)
    .join('');
  const path = h.path.length > 300 ? `${h.path.slice(0, 300)}…(${h.path.length} chars)` : h.path;
  return `#${index} [${h.kind}] seed=${seed}${h.ipHeader ? ` trusted-ip-header=${h.ipHeader}` : ''}\n  ${h.method} ${path}${headers}${shown}`;
}
