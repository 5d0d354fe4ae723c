// Hooks for the browser tests and the benchmark run, exposed only when the
// address asks for them with ?test: visitors' pages carry no test globals.

export const testing = new URLSearchParams(location.search).has("test");

/** Sets `window[name]` to `value` on a test page; does nothing otherwise. */
export function expose(name, value) {
  if (testing) window[name] = value;
}
