#!/usr/bin/env node
// `npm test`: every step runs even when an earlier one failed, so one broken suite never hides the
// others; the exit code is non-zero when any step failed. A step whose output a later one needs (the
// build) still lets the others run: their own failures then say what is missing.
// `npm test -- vitest` runs only the steps whose name holds one of the words given.
import { runSteps, summary } from './support/run-steps.mjs';

// RESMAN_TEST_STEPS (JSON, [[name, command], …]) replaces the list: test/build/run-steps.test.ts uses it.
const steps = process.env.RESMAN_TEST_STEPS
  ? JSON.parse(process.env.RESMAN_TEST_STEPS)
  : [
      ['layering', 'npm run lint:deps'],
      ['lint and format', 'npm run lint'],
      ['build', 'npm run build'],
      ['node and workerd (vitest)', 'npx vitest run'],
      ['browsers (web-test-runner)', 'npx wtr'],
    ];

const only = process.argv.slice(2);
const results = await runSteps(steps.filter(([name]) => only.length === 0 || only.some((word) => name.includes(word))));
console.log(`\n${summary(results)}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
