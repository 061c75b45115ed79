import { expect, beforeAll, afterAll, inject } from 'vitest';
import { MedCodesError } from '../src/errors.js';
import { createApp } from '../src/api/app.js';
import { Store } from '../src/store/store.js';

/**
 * Await a promise that must reject with a parse error whose message contains each string and
 * matches each regular expression given; returns the error for further checks.
 */
export async function expectParseError(p: Promise<unknown>, ...expected: (string | RegExp)[]): Promise<MedCodesError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MedCodesError);
  const e = err as MedCodesError;
  expect(e.code).toBe('parse_error');
  for (const x of expected) {
    if (typeof x === 'string') expect(e.message).toContain(x);
    else expect(e.message).toMatch(x);
  }
  return e;
}

/** The app over the shared test database (test/global-setup.ts), opened before and closed after a file's tests. */
export function useTestApp(): { store: () => Store; app: () => ReturnType<typeof createApp> } {
  let store: Store;
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    store = new Store(inject('dbPath'));
    app = createApp({ store: () => store });
  });
  afterAll(() => store.close());
  return { store: () => store, app: () => app };
}
