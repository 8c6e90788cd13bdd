// Loaded on the first interaction, not before the form renders: zod/mini and the contract's rules
// are most of the widget's weight, and a visitor who only scrolls past never pays for them.
export { parseSubmission } from '../../contract/submission.js';
