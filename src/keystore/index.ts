export * from './store-base';
export * from './external-key-store';
export * from './cloudhsm-key-store';
export * from './custom-store-key';
