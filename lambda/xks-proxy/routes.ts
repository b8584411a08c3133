/** Maps a request path to a key store, an XKS operation and an external key id. */
import type { KeyStoreConfig } from './config';
import { XksError } from './errors';

export type Operation = 'GetKeyMetadata' | 'Encrypt' | 'Decrypt' | 'GetHealthStatus';

export interface Route {
  readonly keyStore: KeyStoreConfig;
  readonly operation: Operation;
  readonly externalKeyId?: string;
}

const API_PATH = /^(.*)\/kms\/xks\/v1\/(?:keys\/([A-Za-z0-9._-]{1,128})\/(metadata|encrypt|decrypt)|(health))$/;
const OPERATIONS: Record<string, Operation> = { metadata: 'GetKeyMetadata', encrypt: 'Encrypt', decrypt: 'Decrypt', health: 'GetHealthStatus' };

/** Finds the route, or throws InvalidUriPathException (404). */
export function route(url: string, keyStores: ReadonlyMap<string, KeyStoreConfig>): Route {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const match = API_PATH.exec(path);
  const keyStore = match ? keyStores.get(match[1]) : undefined;
  if (!match || !keyStore) throw new XksError('InvalidUriPathException', 'the URI path is not an XKS API path of this proxy');
  return { keyStore, operation: OPERATIONS[match[3] ?? match[4]], externalKeyId: match[2] };
}
