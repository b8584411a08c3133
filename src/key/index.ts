export * from './actions';
export { KeyCapability } from './capability';
export * from './key-user';
export * from './key-service';
export { KeyPolicyPosture } from './policy-model';
export { ManagedKeyBase } from './managed-key-base';
export * from './managed-key';
