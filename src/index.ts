// Public API of cdk-kms-patterns.
export * from './key';
export * from './xks';
export * from './lint';
export * from './envelope';
export * from './replica';
export * from './keystore';
export * from './audit';
export * from './access';
