// Loses the widget's lazy chunk downloads the way the strictest browser remembers them (Chromium 150
// keeps a failed dynamic import in its module map for good): a URL that failed once fails for good,
// query and all, while the network, once back, serves any URL not asked before.
// POST /lost-chunks?match=<part of the path>  lose every download whose path has it (network down)
// POST /lost-chunks?online=1                  the network is back: new URLs get through
// POST /lost-chunks?match=<part>&hold=1        hold every such download, unanswered (a slow network)
// POST /lost-chunks?release=1                 answer the held downloads, and stop holding
// POST /lost-chunks                           lose nothing, forget everything
// GET  /lost-chunks                           { asked: [every URL asked for], failed: [those lost] }
// (No test file's page reuses what another loaded: web-test-runner.config.mjs.)
export function lostChunks() {
  // One network per browser, told apart by its User-Agent: the engines run their tests side by side.
  const browsers = new Map();
  return async function lostChunksMiddleware(ctx, next) {
    const agent = ctx.get('user-agent');
    if (!browsers.has(agent)) browsers.set(agent, { match: null, online: false, hold: null, asked: [], failed: new Set() });
    const network = browsers.get(agent);
    const { asked, failed } = network;
    if (ctx.path === '/lost-chunks') {
      if (ctx.method === 'POST') {
        if (ctx.query.online) network.online = true;
        else if (ctx.query.release) network.hold?.release();
        else {
          network.hold?.release();
          network.hold = ctx.query.hold ? held() : null;
          network.match = ctx.query.match ?? null;
          network.online = false;
          asked.length = 0;
          failed.clear();
        }
      }
      ctx.type = 'json';
      ctx.body = JSON.stringify({ asked, failed: [...failed] });
      return;
    }
    if (!network.match || !ctx.path.includes(network.match)) return next();
    asked.push(ctx.url);
    if (network.hold) {
      await network.hold.released;
      return next();
    }
    if (network.online && !failed.has(ctx.url)) return next();
    failed.add(ctx.url);
    ctx.status = 503;
    ctx.body = 'lost on the way';
  };
}

/** Downloads held until release(): they are asked for, and wait. */
function held() {
  let release = () => {};
  const released = new Promise((resolve) => (release = resolve));
  return { released, release };
}
