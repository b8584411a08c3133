export * from './finding';
export * from './linter';
export * from './nag-pack';
export * from './validator';
