// Loses the widget's lazy chunk downloads the way the strictest browser remembers them (Chromium 150
// keeps a failed dynamic import in its module map for good): a URL that failed once fails for good,
// query and all, while the network, once back, serves any URL not asked before.
// POST /lost-chunks?match=<part of the path>  lose every download whose path has it (network down)
// POST /lost-chunks?online=1                  the network is back: new URLs get through
// POST /lost-chunks                           lose nothing, forget everything
// GET  /lost-chunks                           { asked: [every URL asked for], failed: [those lost] }
// (Each test file's page bypasses the browser's caches: web-test-runner.config.mjs.)
export function lostChunks() {
  let match = null;
  let online = false;
  const asked = [];
  const failed = new Set();
  return async function lostChunksMiddleware(ctx, next) {
    if (ctx.path === '/lost-chunks') {
      if (ctx.method === 'POST') {
        if (ctx.query.online) online = true;
        else {
          match = ctx.query.match ?? null;
          online = false;
          asked.length = 0;
          failed.clear();
        }
      }
      ctx.type = 'json';
      ctx.body = JSON.stringify({ asked, failed: [...failed] });
      return;
    }
    if (!match || !ctx.path.includes(match)) return next();
    asked.push(ctx.url);
    if (online && !failed.has(ctx.url)) return next();
    failed.add(ctx.url);
    ctx.status = 503;
    ctx.body = 'lost on the way';
  };
}
