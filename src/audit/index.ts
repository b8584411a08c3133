export * from './key-audit-trail';
export { KeyAuditEvent } from './kms-events';
export * from './key-store-alarm-options';
