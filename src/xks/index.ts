export * from './xks-proxy';
