export * from './replica-key';
export * from './multi-region-key';
