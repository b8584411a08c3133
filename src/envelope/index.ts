export * from './attribute-action';
export * from './crypto-options';
export * from './envelope-encrypted-table';
export * from './envelope-encrypted-bucket';
export * from './branch-key-options';
