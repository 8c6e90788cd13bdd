#!/usr/bin/env node
// `npm test`: every step runs even when an earlier one failed, so one broken suite never hides the
// others; the exit code is non-zero when any step failed. A step whose output a later one needs (the
// build) still lets the others run: their own failures then say what is missing.
import { spawnSync } from 'node:child_process';

const steps = [
  ['build', 'npm run build'],
  ['lint', 'npm run lint'],
  ['layering', 'npm run lint:deps'],
  ['node and workerd (vitest)', 'npx vitest run'],
  ['browsers (web-test-runner)', 'npx wtr'],
];

const only = process.argv.slice(2);
const results = [];
for (const [name, command] of steps) {
  if (only.length > 0 && !only.some((word) => name.includes(word))) continue;
  console.log(`\n▶ ${name}: ${command}\n`);
  const started = Date.now();
  const run = spawnSync(command, { stdio: 'inherit', shell: true });
  const ok = run.status === 0;
  results.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
}

console.log('\nnpm test');
for (const { name, ok, seconds } of results) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name} (${seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(`steps: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
