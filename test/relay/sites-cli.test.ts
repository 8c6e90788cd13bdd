/**
 * `npm run sites`: `check` and `discover` against the sandbox over loopback (as processes of their own
 * where the exit status is the point, in this process otherwise), and `schema`: sites.schema.json is
 * what the zod schema generates, and it takes what the relay takes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseSites } from '../../relay/config/sites.js';
import { SITES_SCHEMA_FILE, sitesJsonSchemaText } from '../../relay/config/sites-schema.js';
import { runSitesCommand } from '../../relay/sites/cli.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { TOKEN } from './fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
let sandbox: RunningSandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
  dir = await mkdtemp(join(tmpdir(), 'sites-cli-'));
});
afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ PROPEXO_API_TOKEN: TOKEN, PROPEXO_BASE_URL: sandbox.url, ...extra });

/** `npm run sites -- …` as a process of its own: its exit status and what it printed. */
function sites(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'relay/sites/cli.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env(extra) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The same command in this process (same code, same loopback HTTP, no process start). */
async function inProcess(args: string[], extra: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSitesCommand(args, env(extra), { out: (t) => out.push(t), err: (t) => err.push(t) }, dir);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function sitesFile(name: string, sites: object): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(sites));
  return path;
}

const oakGrove = (extra: object = {}) => ({
  'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: ['https://www.oakgrove.example'], ...extra },
});

describe('npm run sites -- check', () => {
  it('exits 0 for good sites: the demo file, $schema and all', async () => {
    const run = await sites(['check'], { SITES_FILE: 'demo/sites.json' });
    expect(run.stdout).toMatch(/^oak-grove\s+ok$/m);
    expect(run.stdout).toMatch(/^vista-del-sol\s+ok$/m);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('exits 1 and names each bad id and what is wrong with it', async () => {
    const file = await sitesFile('bad.json', {
      ...oakGrove({
        employee_id: 'emp_oakgrove_tnguyen',
        lead_source_map: { google: 'lsrc_oakgrove_nope', zillow: 'lsrc_oakgrove_zillow' },
      }),
      elsewhere: { name: 'Elsewhere', ...SANDBOX_IDS, property_id: 'prop_nowhere', allowed_origins: ['https://elsewhere.example'] },
    });
    const run = await sites(['check', '--file', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^oak-grove\s+misconfigured$/m);
    expect(run.stdout).toContain('employee_id: emp_oakgrove_tnguyen: the employee is inactive (inactive)');
    expect(run.stdout).toContain('lead_source_map.google: lsrc_oakgrove_nope: not a lead source of the property (not_found)');
    expect(run.stdout).not.toContain('zillow');
    expect(run.stdout).toContain('property_id: prop_nowhere: not a property of the integration (not_found)');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);

    const json = await inProcess(['check', '--file', file, '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { sites: { site: string; status: string; problems: { field: string }[] }[] }).sites).toMatchObject([
      { site: 'oak-grove', status: 'misconfigured', problems: [{ field: 'employee_id' }, { field: 'lead_source_map.google' }] },
      { site: 'elsewhere', status: 'misconfigured', problems: [{ field: 'property_id' }] },
    ]);
    const unknownIntegration = await inProcess(['check', '--file', await sitesFile('int.json', oakGrove({ integration_id: 'int_nope' }))]);
    expect([unknownIntegration.code, unknownIntegration.stdout]).toEqual([
      1,
      expect.stringContaining('integration_id: int_nope: Propexo lists no property for this integration (not_found)'),
    ]);
  });

  it('exits 3, not 1, when Propexo fails during the check: the site is unknown, not misconfigured', async () => {
    sandbox.injectFault({ kind: '503', path: '/v1/properties' });
    const run = await inProcess(['check', '--file', await sitesFile('good.json', oakGrove())]);
    expect(run.stdout).toMatch(/^oak-grove\s+unknown \(unavailable:http_503\)$/m);
    expect(run.code).toBe(3);
    const refused = await inProcess(['check', '--file', join(dir, 'good.json')], { PROPEXO_API_TOKEN: 'ptx_wrong_token_abcdef123' });
    expect([refused.code, refused.stdout]).toEqual([3, expect.stringContaining('unknown (unauthorized:http_401)')]);
    expect(refused.stdout + refused.stderr).not.toContain('ptx_wrong_token_abcdef123');
  });

  it('exits 2 on a usage or configuration error, naming the key', async () => {
    expect((await inProcess(['nonsense'])).code).toBe(2);
    const noToken = await runSitesCommand(['check', '--file', join(dir, 'good.json')], {}, { out: () => {}, err: () => {} });
    expect(noToken).toBe(2);
    const bad = await inProcess(['check', '--file', await sitesFile('broken.json', { 'oak-grove': { name: 'x' } })]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('SITES_FILE: oak-grove.integration_id: required')]);
  });
});

describe('npm run sites -- discover', () => {
  it("lists an integration's properties with their employees (the inactive one said) and lead sources", async () => {
    const run = await inProcess(['discover', '--integration', SANDBOX_IDS.integration_id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prop_oakgrove_atx  Oak Grove Apartments (Austin, TX)  active');
    expect(run.stdout).toContain('prop_vistadelsol_sat  Vista del Sol (San Antonio, TX)  active');
    expect(run.stdout).toMatch(/emp_oakgrove_tnguyen\s+Tran Nguyen {2}INACTIVE/);
    expect(run.stdout).toMatch(/lsrc_oakgrove_zillow\s+Zillow/);
  });

  it('prints a site entry for the property chosen that passes the schema (its JSON Schema too) and the check', async () => {
    const args = ['discover', '--integration', SANDBOX_IDS.integration_id, '--property', SANDBOX_IDS.property_id];
    const run = await sites([...args, '--origin', 'https://www.oakgrove.example', '--map', 'Google=lsrc_oakgrove_google_ads']);
    expect(run.code).toBe(0);
    const entry = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(entry).toEqual({
      'oak-grove-apartments': {
        name: 'Oak Grove Apartments',
        integration_id: SANDBOX_IDS.integration_id,
        property_id: SANDBOX_IDS.property_id,
        employee_id: 'emp_oakgrove_jchen', // the first active employee by name
        lead_source_id: 'lsrc_oakgrove_website', // the property's website source
        allowed_origins: ['https://www.oakgrove.example'],
        lead_source_map: { google: 'lsrc_oakgrove_google_ads' },
      },
    });
    expect(run.stderr).toContain('employee: emp_oakgrove_jchen (James Chen), the first active one; --employee to choose');
    expect(() => parseSites(run.stdout, 8787)).not.toThrow();
    expect(z.fromJSONSchema(JSON.parse(sitesJsonSchemaText())).safeParse(entry).success).toBe(true);
    const check = await inProcess(['check', '--file', await sitesFile('discovered.json', entry)]);
    expect([check.code, check.stdout]).toEqual([0, expect.stringMatching(/^oak-grove-apartments\s+ok$/m)]);

    // Chosen by hand: those ids, and the slug and name asked for.
    const chosen = await inProcess([
      ...args,
      '--employee',
      'emp_oakgrove_mreyes',
      '--lead-source',
      'lsrc_oakgrove_zillow',
      '--slug',
      'oak',
    ]);
    expect(JSON.parse(chosen.stdout)).toMatchObject({
      oak: { employee_id: 'emp_oakgrove_mreyes', lead_source_id: 'lsrc_oakgrove_zillow' },
    });
    expect(chosen.stderr).toContain('allowed_origins: https://www.example.com, a placeholder');
  });

  it('prints no entry for a wrong choice (exit 1), and asks for --integration (exit 2)', async () => {
    const args = ['discover', '--integration', SANDBOX_IDS.integration_id, '--property', SANDBOX_IDS.property_id];
    for (const [extra, said] of [
      [['--employee', 'emp_oakgrove_tnguyen'], 'emp_oakgrove_tnguyen is an inactive employee.'],
      [['--lead-source', 'lsrc_vistadelsol_facebook'], 'lsrc_vistadelsol_facebook is not a lead source of prop_oakgrove_atx.'],
      [['--map', 'google=lsrc_nope'], '--map google=lsrc_nope: lsrc_nope is not a lead source of prop_oakgrove_atx.'],
    ] as const) {
      const run = await inProcess([...args, ...extra]);
      expect([run.code, run.stdout, run.stderr], said).toEqual([1, '', expect.stringContaining(said)]);
    }
    const nowhere = await inProcess(['discover', '--integration', SANDBOX_IDS.integration_id, '--property', 'prop_nowhere']);
    expect([nowhere.code, nowhere.stdout, nowhere.stderr]).toEqual([
      1,
      '',
      'prop_nowhere is not a property of integration int_oakgrove_resman.',
    ]);
    expect((await inProcess(['discover'])).code).toBe(2);
  });
});

describe('sites.schema.json', () => {
  it('is what `npm run sites -- schema` writes from relay/config/sites.ts (run it after changing the sites schema)', async () => {
    expect(await readFile(join(ROOT, SITES_SCHEMA_FILE), 'utf8')).toBe(sitesJsonSchemaText());
    expect(await runSitesCommand(['schema', '--check'], {}, { out: () => {}, err: () => {} }, ROOT)).toBe(0);
    const written = await inProcess(['schema']);
    expect(written.code).toBe(0);
    expect(await readFile(join(dir, SITES_SCHEMA_FILE), 'utf8')).toBe(sitesJsonSchemaText());
    await writeFile(join(dir, SITES_SCHEMA_FILE), '{}');
    expect((await inProcess(['schema', '--check'])).code).toBe(1);
  });

  it('takes the demo sites file (its $schema included), and refuses what the relay refuses', async () => {
    const schema = z.fromJSONSchema(JSON.parse(await readFile(join(ROOT, SITES_SCHEMA_FILE), 'utf8')));
    const demo = JSON.parse(await readFile(join(ROOT, 'demo/sites.json'), 'utf8')) as Record<string, unknown>;
    expect(demo.$schema).toBe(`../${SITES_SCHEMA_FILE}`);
    expect(schema.safeParse(demo).success).toBe(true);
    expect(parseSites(JSON.stringify(demo), 8787).size).toBe(2);
    const site = oakGrove()['oak-grove'];
    for (const bad of [
      { 'Oak Grove': site }, // not a slug
      { 'oak-grove': { ...site, colour: 'teal' } }, // unknown key
      { 'oak-grove': { ...site, allowed_origins: [] } },
      { 'oak-grove': { ...site, employee_id: 'emp with spaces' } },
      { 'oak-grove': { ...site, returning: 'sometimes' } },
      { 'oak-grove': { ...site, form: { texts: { 'bad key!': 'x' } } } },
      { 'oak-grove': { ...site, lead_source_map: { Google: 'lsrc_x' } } },
    ]) {
      expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      expect(() => parseSites(JSON.stringify(bad), 8787)).toThrow(ConfigError);
    }
  });

  it('the relay ignores "$schema", which must be a string when given', () => {
    const site = oakGrove()['oak-grove'];
    expect([...parseSites(JSON.stringify({ $schema: './sites.schema.json', 'oak-grove': site }), 8787).keys()]).toEqual(['oak-grove']);
    expect(() => parseSites(JSON.stringify({ $schema: 7, 'oak-grove': site }), 8787)).toThrow(/"\$schema" must be a string/);
    expect(() => parseSites(JSON.stringify({ $schema: './sites.schema.json' }), 8787)).toThrow(/must configure at least one site/);
  });
});
