import { ContextValue, KeyRequest } from './types';

/** Condition keys of a request, by lower-cased name, each as a list of string values. */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

const ENCRYPTION_CONTEXT_PREFIX = 'kms:encryptioncontext:';

/**
 * Builds the request context. Condition key names are case-insensitive, and so is the `<key>` part
 * of `kms:EncryptionContext:<key>` (the KMS developer guide: the condition key name is not case
 * sensitive; only `kms:EncryptionContextKeys` compares context keys case-sensitively). Values keep
 * their case. An empty multi-valued key counts as absent.
 */
export function buildContext(request: KeyRequest): RequestContext {
  const context = new Map<string, string[]>();
  const encryptionContext = Object.entries(request.encryptionContext ?? {});
  for (const [key, value] of encryptionContext) {
    context.set(ENCRYPTION_CONTEXT_PREFIX + key.toLowerCase(), [value]);
  }
  if (encryptionContext.length > 0) {
    context.set('kms:encryptioncontextkeys', encryptionContext.map(([key]) => key));
  }
  for (const [key, value] of Object.entries(request.context ?? {})) {
    const values = toStrings(value);
    if (values.length > 0) context.set(key.toLowerCase(), values);
    else context.delete(key.toLowerCase());
  }
  return context;
}

function toStrings(value: ContextValue): string[] {
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}
