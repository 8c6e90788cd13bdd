import { describe, expect, it } from 'vitest';
import { type RunningDemo, demoBanner } from '../../demo/start.js';

// What `npm start` prints must point the operator at the outbox the relay really uses.
const demoWith = (config: Record<string, unknown>, madeAdminToken?: string) =>
  ({
    url: 'http://127.0.0.1:8787/',
    ...(madeAdminToken ? { madeAdminToken } : {}),
    relay: {
      url: 'http://127.0.0.1:8787',
      config: { propexo: { baseUrl: 'https://api.propexo.com' }, adminToken: madeAdminToken ?? 'chosen_admin_token_0123', ...config },
    },
  }) as unknown as RunningDemo;

describe('npm start banner', () => {
  it('names the SQLite file and its DATA_DIR, the console, and the admin token the run made', () => {
    const banner = demoBanner(demoWith({ dataDir: '/tmp/resman-demo-1' }, 'demo_admin_x'));
    expect(banner).toContain('Outbox:                /tmp/resman-demo-1/outbox.sqlite');
    expect(banner).toContain('DATA_DIR=/tmp/resman-demo-1 npm run outbox -- stats');
    expect(banner).toContain("Bearer demo_admin_x' 'http://127.0.0.1:8787/admin/leads?limit=10'");
    expect(banner).toContain('Console (operator):    http://127.0.0.1:8787/admin/');
    expect(banner).toContain('Admin token:           demo_admin_x');
  });

  it('never prints an admin token the operator chose', () => {
    const banner = demoBanner(demoWith({ dataDir: '/tmp/resman-demo-1' }));
    expect(banner).not.toContain('chosen_admin_token_0123');
    expect(banner).toContain("Bearer $ADMIN_TOKEN'");
  });

  it('names the PostgreSQL outbox, without its password, when DATABASE_URL is set', () => {
    const banner = demoBanner(demoWith({ dataDir: './data', databaseUrl: 'postgres://relay:s3cret@127.0.0.1:5432/leads' }));
    expect(banner).toContain('Outbox:                postgres://relay:***@127.0.0.1:5432/leads');
    expect(banner).toContain('DATABASE_URL=$DATABASE_URL npm run outbox -- stats');
    expect(banner).not.toContain('s3cret');
    expect(banner).not.toContain('outbox.sqlite');
  });
});
