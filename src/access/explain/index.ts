export * from './capabilities';
export * from './cell';
export * from './model';
export * from './render';
export { THIS_ACCOUNT } from './principals';
export type { ExplainInput } from './principals';
