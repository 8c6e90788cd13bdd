export * from './errors.js';
export * from './fields.js';
export * from './submission.js';
export * from './meta.js';
