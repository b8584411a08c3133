/**
 * Property access for names a client or a deployer chooses (attribute names, map keys, context
 * keys, configuration keys). A plain `obj[name]` read finds inherited members (`toString`,
 * `constructor`, ...) for names the object does not have, and a plain `obj[name] = v` write with
 * `__proto__` changes the object's prototype instead of adding a member. These two helpers only
 * ever see and make own, enumerable data properties, whatever the name.
 */

/** The object's own value for `name`, or undefined when it has none (never an inherited member). */
export function ownValue(object: object, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, name) ? (object as Record<string, unknown>)[name] : undefined;
}

/** Adds (or replaces) an own, enumerable member `name`, even when the name is `__proto__`. */
export function setOwn(object: object, name: string, value: unknown): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}
