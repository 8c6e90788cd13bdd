/**
 * Runs the Propexo sandbox on its own: `SANDBOX_TOKEN=dev-token npx tsx sandbox/cli.ts`.
 * SANDBOX_PORT defaults to 8788. SANDBOX_READ_BACK_DELAY_MS (default 0) holds created leads back from
 * GET /v1/leads that long (updates too), as Propexo does without its immediate read-back. Prints the
 * base URL, then one line per write received (lead, update, event).
 */
import { SANDBOX_IDS, SANDBOX_IDS_VISTA } from './data.js';
import { startSandbox } from './server.js';

const token = process.env.SANDBOX_TOKEN;
const port = Number(process.env.SANDBOX_PORT ?? 8788);
const readBackDelayMs = Number(process.env.SANDBOX_READ_BACK_DELAY_MS || 0);

if (!token) {
  console.error('SANDBOX_TOKEN is required: the Bearer token clients must send, e.g. SANDBOX_TOKEN=dev-token');
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`SANDBOX_PORT must be a port number, got ${JSON.stringify(process.env.SANDBOX_PORT)}`);
  process.exit(1);
}

if (!Number.isSafeInteger(readBackDelayMs) || readBackDelayMs < 0) {
  console.error(
    `SANDBOX_READ_BACK_DELAY_MS must be a whole number of milliseconds, got ${JSON.stringify(process.env.SANDBOX_READ_BACK_DELAY_MS)}`,
  );
  process.exit(1);
}

try {
  const sandbox = await startSandbox({ token, port, readBackDelayMs, log: (line) => console.log(line) });
  console.log(`Propexo sandbox listening on ${sandbox.url}`);
  console.log(`  leads received: ${sandbox.url}/`);
  console.log(`  demo ids: ${JSON.stringify(SANDBOX_IDS)}`);
  console.log(`  second community: ${JSON.stringify(SANDBOX_IDS_VISTA)}`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(`sandbox: could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
