// A stand-in relay for widget tests, mounted on the test server. The site slug picks its behaviour;
// every request it receives is kept so tests can assert on what the widget really sent.
//   accept  202 receipt          flaky  503 on a key's first try, then 202
//   refuse  400 invalid_fields   down   503 envelope always      garbage  500 with an HTML body
//   slow    202 after 400 ms     (any other slug: accept)
const envelope = (code, message, fields = []) => ({ error: { code, message, fields } });

export function stubRelay() {
  const requests = [];
  const seenKeys = new Set();
  return async function stubRelayMiddleware(ctx, next) {
    const match = /^(?:\/stub-relay)?\/v1\/sites\/([^/]+)\/leads$/.exec(ctx.path);
    if (ctx.path === '/stub-relay/requests') {
      if (ctx.method === 'DELETE') requests.length = 0;
      ctx.type = 'json';
      ctx.body = JSON.stringify(requests);
      return;
    }
    if (!match || ctx.method !== 'POST') return next();
    const site = decodeURIComponent(match[1]);
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const key = ctx.get('idempotency-key');
    requests.push({ site, path: ctx.path, key, contentType: ctx.get('content-type'), body: JSON.parse(raw) });
    const reply = (status, body) => {
      ctx.status = status;
      ctx.type = 'json';
      ctx.body = JSON.stringify(body);
    };
    const receipt = { id: `ld_stub_${requests.length}`, status: 'sent' };
    if (site === 'flaky') {
      const first = !seenKeys.has(key);
      seenKeys.add(key);
      return first ? reply(503, envelope('unavailable', 'Try again later.')) : reply(202, receipt);
    }
    if (site === 'refuse') {
      return reply(400, envelope('invalid_fields', 'Some fields are invalid.', [
        { field: 'email_1', code: 'placeholder', message: 'Enter real contact details, not a placeholder.' },
      ]));
    }
    if (site === 'down') return reply(503, envelope('unavailable', 'Try again later.'));
    if (site === 'garbage') {
      ctx.status = 500;
      ctx.type = 'html';
      ctx.body = '<html><body>Bad gateway</body></html>';
      return;
    }
    if (site === 'slow') await new Promise((r) => setTimeout(r, 400));
    return reply(202, receipt);
  };
}
