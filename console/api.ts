/**
 * The console's calls to its relay, same origin: the session cookie goes by itself (HttpOnly, so no
 * script here ever sees it), and the browser adds the Origin header the relay checks on a change.
 */

/** The session is missing or expired: the console shows its sign-in. */
export class SignedOut extends Error {}

/** An answer the console shows as it is: the relay's own message from its error envelope. */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function problemOf(res: Response): Promise<Error> {
  if (res.status === 401) return new SignedOut('Signed out.');
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new ApiProblem(body?.error?.message ?? `The relay answered ${res.status}.`, res.status);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`/admin/api/${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as T;
}

export async function postJson<T>(path: string): Promise<T> {
  const res = await fetch(`/admin/api/${path}`, { method: 'POST', headers: { accept: 'application/json' } });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as T;
}

export async function signIn(token: string): Promise<void> {
  const res = await fetch('/admin/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw await problemOf(res);
}

export async function signOut(): Promise<void> {
  await fetch('/admin/session', { method: 'DELETE' });
}

/**
 * `GET /admin/api/changes` with the ETag last given: the new version, or null while nothing changed
 * (304). Throws SignedOut when the session has ended.
 */
export async function changes(etag: string | null): Promise<{ etag: string; version: string } | null> {
  const res = await fetch('/admin/api/changes', { headers: etag ? { 'if-none-match': etag } : {} });
  if (res.status === 304) return null;
  if (!res.ok) throw await problemOf(res);
  const body = (await res.json()) as { version: string };
  return { etag: res.headers.get('etag') ?? `"${body.version}"`, version: body.version };
}
