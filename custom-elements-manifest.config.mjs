// Generates custom-elements.json (the widget's published API) from the JSDoc on ResmanLeadForm.
// `npm run analyze`; `npm run build` runs it after the vite build. test/build/manifest.test.ts pins it.

/**
 * Fixes what the analyzer cannot see in this codebase's shape:
 * - Only the public API is published: private members (`#name`, TypeScript `private`) and anything
 *   named with a leading underscore are left out, and so is a declaration its module does not export.
 * - Lit's `state: true` entries in `static properties` are internal reactive state, not attributes.
 * - Events are dispatched as typed `Event` subclasses (widget/lead-form/events.ts) whose name is in the
 *   `super('resman-…')` call, so a dispatch yields a nameless event and the JSDoc `@event` an untyped
 *   one: each is completed from the other through the event class.
 * - The element registers itself (`ResmanLeadForm.define()`, tag from its `@tag` JSDoc), so the
 *   `customElements.define(tag, this)` inside it is not a definition; the module calling `define()` is.
 * - Re-exports point at `.js` specifiers; they are pointed at the analyzed `.ts` modules.
 */
function resmanPlugin() {
  /** event class name -> event name, from `super('name', …)` in a class extending Event */
  const eventNames = new Map();
  /** class name -> names of `state: true` reactive properties */
  const stateProps = new Map();
  /** { module, className } of each `SomeElement.define()` call */
  const defineCalls = [];

  return {
    name: 'resman-lead-form',
    analyzePhase({ ts, node, moduleDoc }) {
      if (ts.isClassDeclaration(node) && node.name) {
        const className = node.name.getText();
        const extendsEvent = node.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText() === 'Event'));
        for (const member of node.members) {
          if (extendsEvent && ts.isConstructorDeclaration(member)) {
            const visit = (n) => {
              if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
                const first = n.arguments[0];
                if (first && ts.isStringLiteralLike(first)) eventNames.set(className, first.text);
              }
              ts.forEachChild(n, visit);
            };
            visit(member);
          }
          const isStaticProperties =
            ts.isPropertyDeclaration(member) &&
            member.name.getText() === 'properties' &&
            member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) &&
            member.initializer &&
            ts.isObjectLiteralExpression(member.initializer);
          if (isStaticProperties) {
            const names = new Set();
            for (const prop of member.initializer.properties) {
              if (!ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer)) continue;
              const isState = prop.initializer.properties.some(
                (o) => ts.isPropertyAssignment(o) && o.name.getText() === 'state' && o.initializer.kind === ts.SyntaxKind.TrueKeyword,
              );
              if (isState) names.add(prop.name.getText().replace(/^['"]|['"]$/g, ''));
            }
            stateProps.set(className, names);
          }
        }
      }
      if (
        ts.isCallExpression(node) &&
        node.arguments.length === 0 &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.getText() === 'define' &&
        ts.isIdentifier(node.expression.expression)
      ) {
        defineCalls.push({ module: moduleDoc.path, className: node.expression.expression.getText() });
      }
    },
    packageLinkPhase({ customElementsManifest }) {
      const modules = customElementsManifest.modules;
      const declarations = modules.flatMap((m) => (m.declarations ?? []).map((d) => ({ module: m.path, d })));

      for (const m of modules) {
        const exported = new Set((m.exports ?? []).map((e) => e.declaration?.name));
        m.declarations = (m.declarations ?? []).filter((d) => exported.has(d.name));
      }
      const isPublic = (x) => !x.privacy || x.privacy === 'public';
      const named = (x) => !/^[#_]/.test(x.name);
      for (const { d } of declarations) {
        if (d.kind !== 'class') continue;
        if (d.members) d.members = d.members.filter((x) => isPublic(x) && named(x));
        if (d.attributes) d.attributes = d.attributes.filter((x) => named(x));
        const states = stateProps.get(d.name);
        if (states?.size) {
          d.attributes = (d.attributes ?? []).filter((a) => !states.has(a.fieldName ?? a.name));
          for (const m of d.members ?? []) if (states.has(m.name)) delete m.attribute;
        }
        if (d.events?.length) {
          const byName = new Map();
          for (const event of d.events) {
            const name = event.name || eventNames.get(event.type?.text);
            if (!name) throw new Error(`${d.name}: an event has no name (type ${event.type?.text ?? 'unknown'})`);
            const merged = { ...byName.get(name), ...event, name };
            merged.description ??= byName.get(name)?.description;
            if (!merged.description) delete merged.description;
            if (!merged.type) {
              const eventClass = [...eventNames].find(([, n]) => n === name)?.[0];
              if (eventClass) merged.type = { text: eventClass };
            }
            const typeModule = declarations.find((x) => x.d.name === merged.type?.text)?.module;
            if (typeModule) merged.type.references = [{ name: merged.type.text, module: typeModule }];
            byName.set(name, merged);
          }
          d.events = [...byName.values()];
        }
      }

      for (const m of modules) {
        // `customElements.define(tag, this)` inside a static define(): not a definition of its own.
        m.exports = (m.exports ?? []).filter(
          (e) => !(e.kind === 'custom-element-definition' && /^anonymous_\d+$/.test(e.declaration?.name ?? '')),
        );
        for (const e of m.exports) {
          // `import { X } from …; export { X };` comes out as declared here: point it at its declaration.
          const own = e.kind === 'js' && e.declaration?.module === m.path;
          if (own && !(m.declarations ?? []).some((x) => x.name === e.declaration.name)) {
            const where = declarations.filter((x) => x.d.name === e.declaration.name);
            if (where.length === 1) e.declaration.module = where[0].module;
          }
          const spec = e.declaration?.module;
          if (!spec || !/\.js$/.test(spec)) continue;
          const base = spec.startsWith('.') ? new URL(spec, `file:///${m.path}`).pathname.slice(1) : spec;
          const ts = base.replace(/\.js$/, '.ts');
          if (modules.some((x) => x.path === ts)) e.declaration.module = ts;
        }
      }

      for (const call of defineCalls) {
        const found = declarations.find(({ d }) => d.kind === 'class' && d.name === call.className && d.tagName);
        const module = modules.find((m) => m.path === call.module);
        if (!found || !module) continue;
        const exists = module.exports.some((e) => e.kind === 'custom-element-definition' && e.name === found.d.tagName);
        if (!exists) {
          module.exports.push({
            kind: 'custom-element-definition',
            name: found.d.tagName,
            declaration: { name: found.d.name, module: found.module },
          });
        }
      }
    },
  };
}

export default {
  // The modules of the published API: the entry, the element, its events. The rest of widget/ (its
  // controllers, chunks, strings) is how the element works, not what a page may use.
  globs: ['widget/resman-lead-form.ts', 'widget/lead-form/lead-form.ts', 'widget/lead-form/events.ts'],
  outdir: '.',
  litelement: true,
  plugins: [resmanPlugin()],
};
