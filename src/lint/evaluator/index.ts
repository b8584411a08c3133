export * from './types';
export * from './evaluate';
export * from './authorize';
export * from './statement';
export * from './principal';
export * from './conditions';
export * from './context';
