/** `fn` called on the first call only; every later call returns what that one did. */
export function once<T>(fn: () => T): () => T {
  let result: {value: T} | undefined
  return () => (result ??= {value: fn()}).value
}
