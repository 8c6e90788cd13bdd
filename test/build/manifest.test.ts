import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// custom-elements.json is the widget's published API, generated from the JSDoc on ResmanLeadForm by
// `npm run build` (custom-elements-manifest.config.mjs). A JSDoc regression fails here.
// `npm test` builds first; on its own, run `npm run build` (or `npm run analyze`) before this file.

interface Named {
  name: string;
  description?: string;
  type?: { text: string };
}
interface Declaration {
  kind: string;
  name: string;
  tagName?: string;
  customElement?: boolean;
  members?: (Named & { kind: string; static?: boolean; privacy?: string })[];
  attributes?: (Named & { fieldName?: string })[];
  cssParts?: Named[];
  cssProperties?: Named[];
  cssStates?: Named[];
  events?: Named[];
  slots?: Named[];
}
interface Manifest {
  schemaVersion: string;
  modules: {
    path: string;
    declarations?: Declaration[];
    exports?: { kind: string; name: string; declaration: { name: string; module?: string } }[];
  }[];
}

const file = 'custom-elements.json';
const manifest = (): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;
const element = (): Declaration => {
  const found = manifest()
    .modules.flatMap((m) => m.declarations ?? [])
    .filter((d) => d.customElement);
  expect(found.map((d) => d.name)).toEqual(['ResmanLeadForm']);
  return found[0]!;
};
const names = (list: Named[] | undefined) => (list ?? []).map((x) => x.name);

describe('custom-elements.json', () => {
  it('is generated at the repo root and named by package.json', () => {
    expect(existsSync(file), `${file}: run npm run build`).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { customElements?: string };
    expect(pkg.customElements).toBe(file);
  });

  it('declares <resman-lead-form>, defined by the entry module', () => {
    expect(element().tagName).toBe('resman-lead-form');
    const definitions = manifest().modules.flatMap((m) =>
      (m.exports ?? []).filter((e) => e.kind === 'custom-element-definition').map((e) => ({ module: m.path, ...e })),
    );
    expect(definitions).toEqual([
      {
        module: 'widget/resman-lead-form.ts',
        kind: 'custom-element-definition',
        name: 'resman-lead-form',
        declaration: { name: 'ResmanLeadForm', module: 'widget/lead-form/lead-form.ts' },
      },
    ]);
  });

  it('publishes only the entry, the element and its events', () => {
    expect(manifest().modules.map((m) => m.path)).toEqual([
      'widget/resman-lead-form.ts',
      'widget/lead-form/lead-form.ts',
      'widget/lead-form/events.ts',
    ]);
  });

  it('lists exactly the public members: the properties and define()', () => {
    const members = element().members ?? [];
    expect(members.map((m) => [m.kind, m.name, m.static ?? false])).toEqual([
      ['method', 'define', true],
      ['field', 'site', false],
      ['field', 'relay', false],
      ['field', 'fields', false],
      ['field', 'datalayer', false],
      ['field', 'mode', false],
      ['field', 'choices', false],
      ['field', 'lang', false],
    ]);
    for (const m of members) expect(m.privacy ?? 'public', m.name).toBe('public');
  });

  it('names nothing with a leading underscore or #, anywhere', () => {
    const names: string[] = [];
    JSON.parse(readFileSync(file, 'utf8'), (key, value: unknown) => {
      if (key === 'name' && typeof value === 'string') names.push(value);
      return value;
    });
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((n) => /^[_#]/.test(n))).toEqual([]);
  });

  it('lists exactly the public attributes, each described', () => {
    const attributes = element().attributes ?? [];
    expect(names(attributes)).toEqual(['site', 'relay', 'fields', 'lang', 'datalayer', 'mode']);
    for (const a of attributes) expect(a.description, a.name).toBeTruthy();
  });

  it('lists every part', () => {
    expect(names(element().cssParts)).toEqual(['form', 'field', 'label', 'input', 'hint', 'error', 'consent', 'submit', 'retry', 'status']);
  });

  it('lists every custom property', () => {
    expect(names(element().cssProperties)).toEqual([
      '--resman-font',
      '--resman-color-text',
      '--resman-color-muted',
      '--resman-color-field',
      '--resman-color-border',
      '--resman-color-accent',
      '--resman-color-on-accent',
      '--resman-color-error',
      '--resman-radius',
      '--resman-space',
    ]);
  });

  it('lists the custom states', () => {
    expect(names(element().cssStates)).toEqual(['ready', 'submitting', 'success', 'error']);
  });

  it('lists the success slot', () => {
    expect(names(element().slots)).toEqual(['success']);
  });

  it('lists the five events, each named, typed and described', () => {
    const events = element().events ?? [];
    expect(events.map((e) => [e.name, e.type?.text])).toEqual([
      ['resman-lead-view', 'ResmanLeadViewEvent'],
      ['resman-lead-start', 'ResmanLeadStartEvent'],
      ['resman-lead-submit', 'ResmanLeadSubmitEvent'],
      ['resman-lead-success', 'ResmanLeadSuccessEvent'],
      ['resman-lead-error', 'ResmanLeadErrorEvent'],
    ]);
    for (const e of events) expect(e.description, e.name).toBeTruthy();
  });

  it('documents every part, custom property and state', () => {
    const el = element();
    for (const x of [...(el.cssParts ?? []), ...(el.cssProperties ?? []), ...(el.cssStates ?? [])]) {
      expect(x.description, x.name).toBeTruthy();
    }
  });
});
