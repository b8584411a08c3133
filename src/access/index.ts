// Public API of src/access: the explain matrix as jsii types. The evaluator, explain and diff
// internals are used by the CLI through their own modules.
export * from './api';
