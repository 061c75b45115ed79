import { describe, it, expect } from 'vitest';
import { Scheduler } from './scheduler.js';

/** Resolves after n turns of the event loop. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('Scheduler', () => {
  it('admits one job per turn of the event loop, in arrival order', async () => {
    const s = new Scheduler({ maxQueue: 10, maxWaitMs: 60_000 });
    const order: string[] = [];
    const jobs = ['a', 'b', 'c'].map((k) => s.admit().then(() => order.push(k)));
    expect(order).toEqual([]);
    await turns(1);
    expect(order).toEqual(['a']);
    await turns(1);
    expect(order).toEqual(['a', 'b']);
    await Promise.all(jobs);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('lets other jobs run between the slices of a job that yields', async () => {
    const s = new Scheduler({ maxQueue: 10, maxWaitMs: 60_000 });
    const trace: string[] = [];
    const long = (async () => {
      await s.admit();
      for (let i = 0; i < 3; i++) {
        trace.push(`long ${i}`);
        await s.turn();
      }
    })();
    const short = (async () => {
      await s.admit();
      trace.push('short');
    })();
    await Promise.all([long, short]);
    expect(trace).toEqual(['long 0', 'short', 'long 1', 'long 2']);
  });

  it('refuses new jobs when the queue is full, never continuations', async () => {
    const s = new Scheduler({ maxQueue: 2, maxWaitMs: 60_000 });
    const a = s.admit();
    const b = s.admit();
    await expect(s.admit()).rejects.toMatchObject({ code: 'overloaded' });
    const c = s.turn();
    await Promise.all([a, b, c]);
    expect(s.refused).toBe(1);
  });

  it('stops work past its deadline and drops jobs whose client left', async () => {
    const s = new Scheduler({ maxQueue: 10, maxWaitMs: 60_000 });
    await expect(s.turn(Date.now() - 1)).rejects.toMatchObject({ code: 'timeout' });
    await expect(s.admit(() => true)).rejects.toMatchObject({ code: 'timeout' });
    await expect(s.admit(() => false)).resolves.toBeUndefined();
  });

  it('drops a job that waited longer than maxWaitMs when its turn comes', async () => {
    const s = new Scheduler({ maxQueue: 10, maxWaitMs: 1 });
    const first = s.admit();
    const late = s.admit();
    // Hold the loop past maxWaitMs before the first turn (a synchronous wait, not a timed assertion).
    const until = Date.now() + 5;
    while (Date.now() < until);
    await expect(first).rejects.toMatchObject({ code: 'overloaded' });
    await expect(late).rejects.toMatchObject({ code: 'overloaded' });
  });
});
