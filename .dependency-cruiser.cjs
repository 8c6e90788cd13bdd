/**
 * The layering, checked by `npm run lint:deps` (part of `npm test`):
 *
 *   contract  <-  widget              console (lit only: the operator's pages, a build of their own)
 *   contract  <-  relay core (relay/, but relay/runtime/)  <-  relay/runtime/node, relay/runtime/worker
 *   relay     <-  demo, test, bench            sandbox stands alone (contract/ at most)
 *
 * and no import cycle anywhere, type-only imports included.
 *
 * TypeScript 7 has no JavaScript API, so dependency-cruiser cannot use the compiler (its `tsc`
 * parser and tsPreCompilationDeps need it): the `swc` parser reads the sources instead, and it
 * reports every import as written, `import type` included, so type-only edges count for cycles.
 * `no-unresolvable` makes sure no edge is silently lost to an import it could not resolve.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves (cloudflare:* exists only inside workerd and is declared for tsc).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^cloudflare:' },
    },
    {
      name: 'contract-imports-only-zod',
      comment: 'contract/ is the public API both sides speak: it imports nothing but zod.',
      severity: 'error',
      from: { path: '^contract/' },
      to: { pathNot: ['^contract/', '^node_modules/zod/'] },
    },
    {
      name: 'widget-imports-only-contract',
      comment: 'The element imports the contract and lit, nothing of the relay or the rest.',
      severity: 'error',
      from: { path: '^widget/', pathNot: '^widget/build/' },
      to: { pathNot: ['^widget/', '^contract/', '^node_modules/(lit|@lit|lit-html|lit-element)/'] },
    },
    {
      name: 'console-imports-only-lit',
      comment: "The console's pages import lit and each other: never the widget or the relay (they speak to it over HTTP).",
      severity: 'error',
      from: { path: '^console/' },
      to: { pathNot: ['^console/', '^node_modules/(lit|@lit|lit-html|lit-element)/'] },
    },
    {
      name: 'nothing-imports-console',
      comment: 'The console is a page the relay serves as files: no other code imports it (tests load it in a browser).',
      severity: 'error',
      from: { pathNot: '^console/' },
      to: { path: '^console/' },
    },
    {
      name: 'widget-build-not-relay',
      comment: "The widget's build helpers are build tools: node and vite, never the relay or the rest.",
      severity: 'error',
      from: { path: '^widget/build/' },
      to: { path: '^(relay|sandbox|demo|test|bench)/' },
    },
    {
      name: 'relay-not-outside',
      comment: 'The relay imports the contract and packages, never the widget, the demo, the sandbox, tests or benchmarks.',
      severity: 'error',
      from: { path: '^relay/' },
      to: { path: '^(widget|demo|sandbox|test|bench)/' },
    },
    {
      name: 'core-not-runtime',
      comment: 'Runtime differences are injected: relay core never imports relay/runtime/.',
      severity: 'error',
      from: { path: '^relay/', pathNot: '^relay/runtime/' },
      to: { path: '^relay/runtime/' },
    },
    {
      name: 'runtimes-apart',
      comment: 'The Node runtime and the Worker runtime share the core, not each other.',
      severity: 'error',
      from: { path: '^relay/runtime/(node|worker)/' },
      to: { path: '^relay/runtime/', pathNot: '^relay/runtime/$1/' },
    },
    {
      name: 'sandbox-stands-alone',
      comment: "The sandbox stands in for Propexo, another company's service: it imports the contract at most.",
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { path: '^(relay|widget|demo|test|bench)/' },
    },
  ],
  options: {
    parser: 'swc',
    moduleSystems: ['es6', 'cjs'],
    doNotFollow: { path: '^node_modules/' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.json'],
    },
  },
};
