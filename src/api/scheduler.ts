import type { MiddlewareHandler } from 'hono';
import { MedCodesError } from '../errors.js';

/**
 * Admission of request work, one job per event-loop turn.
 *
 * Node runs every request that one poll of the sockets delivered back to back: fifty searches that
 * arrive together make the fifty-first request, a load balancer's `/health`, wait for all of them.
 * Here a request's handler does not start when its bytes arrive: it waits in a queue, and a
 * `setImmediate` pump lets one job in per turn of the loop. Between two turns Node polls the sockets
 * again (the "check" phase follows "poll": nodejs.org, "The Node.js Event Loop"), so `/health`,
 * `/ready` and the static assets, which skip the queue, answer after at most one job, and every job
 * is short by design (bounded parameters, long scans split with `turn()`).
 *
 * The queue is bounded: when `maxQueue` jobs wait, a new request gets 503 `overloaded` with
 * Retry-After at once, rather than a slot in a line it would time out in. A job that waited longer
 * than `maxWaitMs`, or whose client went away, is dropped when its turn comes; work that yields with
 * `turn()` past its deadline stops with 503 `timeout`.
 */
export interface SchedulerOptions {
  /** Jobs that may wait; over it, 503 overloaded. */
  maxQueue: number;
  /** Longest wait in the queue before a job is dropped (503 overloaded), and the deadline of its work from admission. */
  maxWaitMs: number;
}

interface Job {
  resolve: () => void;
  reject: (e: unknown) => void;
  queuedAt: number;
  gone?: () => boolean;
  /** Continuations (`turn()`) of admitted work are never refused for a full queue. */
  continuation: boolean;
}

export class Scheduler {
  private queue: Job[] = [];
  private head = 0;
  private pumping = false;
  /** Counters for /ready and the load test. */
  admitted = 0;
  refused = 0;

  constructor(readonly opts: SchedulerOptions) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Wait for this request's turn. Rejects with `overloaded` when the queue is full or the wait was too long. */
  admit(gone?: () => boolean): Promise<void> {
    if (this.waiting >= this.opts.maxQueue) {
      this.refused++;
      return Promise.reject(
        new MedCodesError('overloaded', `${this.waiting} requests are waiting (the limit is ${this.opts.maxQueue}); retry shortly`),
      );
    }
    return this.enqueue(gone, false);
  }

  /**
   * Yield between two slices of one request's work: the job goes to the back of the queue, so other
   * requests and the sockets get their turn. Throws `timeout` once `deadline` (epoch ms) is past.
   */
  turn(deadline?: number, gone?: () => boolean): Promise<void> {
    if (deadline !== undefined && Date.now() > deadline)
      return Promise.reject(new MedCodesError('timeout', `the request's work took longer than ${this.opts.maxWaitMs} ms and was stopped`));
    return this.enqueue(gone, true);
  }

  private enqueue(gone: (() => boolean) | undefined, continuation: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ resolve, reject, queuedAt: Date.now(), gone, continuation });
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  private pump = (): void => {
    const now = Date.now();
    // Drop, without running them, jobs whose client left or that waited too long; let one run.
    while (this.head < this.queue.length) {
      const job = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Job;
      if (job.gone?.()) {
        job.reject(new MedCodesError('timeout', 'the client closed the connection before its turn'));
        continue;
      }
      if (!job.continuation && now - job.queuedAt > this.opts.maxWaitMs) {
        this.refused++;
        job.reject(new MedCodesError('overloaded', `the request waited ${now - job.queuedAt} ms for its turn; retry shortly`));
        continue;
      }
      this.admitted++;
      job.resolve();
      break;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length) setImmediate(this.pump);
    else this.pumping = false;
  };
}

/** Per-request values the scheduler middleware sets (`c.get('deadline')`, `c.get('scheduler')`). */
export type SchedulerVariables = { deadline: number; scheduler: Scheduler };

/**
 * The middleware: every request but those `skip` names waits for its turn; a refusal is answered
 * with Retry-After (RFC 9110 10.2.3) through the app's error handler.
 */
export function scheduled(s: Scheduler, skip: (path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (skip(c.req.path)) return next();
    // The Node request, when served by @hono/node-server (c.req.raw.signal would build a full Request).
    const socket = (c.env as { incoming?: { socket?: { destroyed?: boolean } } } | undefined)?.incoming?.socket;
    try {
      await s.admit(socket ? () => socket.destroyed === true : undefined);
    } catch (e) {
      c.header('Retry-After', '1');
      throw e;
    }
    (c.set as (k: string, v: unknown) => void)('deadline', Date.now() + s.opts.maxWaitMs);
    (c.set as (k: string, v: unknown) => void)('scheduler', s);
    await next();
  };
}

/** Yield inside a handler when the request went through `scheduled` (a no-op in apps built without it). */
export async function yieldTurn(c: { get: (k: never) => unknown }): Promise<void> {
  const get = c.get as (k: string) => unknown;
  const s = get('scheduler') as Scheduler | undefined;
  if (s) await s.turn(get('deadline') as number | undefined);
}
