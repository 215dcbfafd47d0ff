/**
 * The responder in charge of each store: the first one created for a store registers itself
 * (normally the engine's), and the API, the CLI and the expiry service use it, so that approvals,
 * rate limits and expiry go through one mutex.
 */
import type { Store } from '../store/port.js';
import type { Responder } from './executor.js';

const byStore = new WeakMap<Store, Responder>();

export function registerResponder(store: Store, r: Responder, replace = true): void {
  if (replace || !byStore.has(store)) byStore.set(store, r);
}

export function unregisterResponder(store: Store, r: Responder): void {
  if (byStore.get(store) === r) byStore.delete(store);
}

export function responderFor(store: Store): Responder | undefined {
  return byStore.get(store);
}
