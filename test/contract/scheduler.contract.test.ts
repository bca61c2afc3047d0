/**
 * The delivery-job scheduler's contract, for the embedded scheduler and for BullMQ on the real
 * Redis: a job is its batch's identity, runs once per submission of a batch, is run again after a
 * failure, fails at once on a permanent error, waits for a node serving its stream, and is taken
 * over by another node when the node running it stops (or, on Redis, dies without a word).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { BullmqScheduler } from '../../src/delivery/scheduler/bullmq.js';
import { InProcessScheduler } from '../../src/delivery/scheduler/in-process.js';
import { PermanentJobError, type BatchJob, type DeliveryScheduler } from '../../src/delivery/scheduler/scheduler.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

interface Deployment {
  /** A node's scheduler (the same one each call on the embedded backend: it has one node). */
  node(): DeliveryScheduler;
  cleanup(): Promise<void>;
}

const FAST = { attempts: 5, backoffMs: 20 };

const backends: { name: string; deploy(): Deployment }[] = [
  {
    name: 'embedded',
    deploy() {
      const s = new InProcessScheduler(FAST);
      return { node: () => s, cleanup: () => s.close() };
    },
  },
  {
    name: 'redis',
    deploy() {
      const keyPrefix = uniquePrefix('sched');
      const nodes: BullmqScheduler[] = [];
      return {
        node() {
          const s = new BullmqScheduler({ url: REDIS_URL, keyPrefix, ...FAST, lockDurationMs: 2000 });
          nodes.push(s);
          return s;
        },
        async cleanup() {
          for (const n of nodes) await n.close();
          await deletePrefix(keyPrefix);
        },
      };
    },
  },
];

let counter = 0;
const job = (stream = 'logs'): BatchJob => ({
  deliveryStream: stream, incarnation: 'inc-1', batchId: `b${Date.now()}${counter++}`, ranges: [{ shardId: 'shardId-000000000000', first: 0, last: 9 }],
});

describe.each(backends)('delivery scheduler contract: $name', ({ deploy }) => {
  let d: Deployment;
  afterEach(async () => {
    await d?.cleanup();
  });

  it('runs a submitted job once with its identity; submitting the batch again is the same job', async () => {
    d = deploy();
    const node = d.node();
    const runs: BatchJob[] = [];
    node.serve('logs', async (j) => {
      runs.push(j);
    });
    const j = job();
    const first = await node.submit(j);
    await first.done;
    const again = await node.submit(j);
    await again.done;
    expect(runs).toEqual([j]);
  });

  it('runs a failed job again with a higher attempt number until it succeeds', async () => {
    d = deploy();
    const node = d.node();
    const attempts: number[] = [];
    node.serve('logs', async (_j, run) => {
      attempts.push(run.attempt);
      if (run.attempt < 3) throw new Error('destination down');
    });
    await (await node.submit(job())).done;
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('fails at once on a permanent error', async () => {
    d = deploy();
    const node = d.node();
    let runs = 0;
    node.serve('logs', async () => {
      runs++;
      throw new PermanentJobError('the target cannot be planned');
    });
    await expect((await node.submit(job())).done).rejects.toThrow(/the target cannot be planned/);
    expect(runs).toBe(1);
  });

  it('a job submitted while no node serves its stream runs once one does; other streams are not disturbed', async () => {
    d = deploy();
    const node = d.node();
    const seen: string[] = [];
    const other = job('other');
    const submitted = await node.submit(other);
    node.serve('logs', async (j) => {
      seen.push(j.deliveryStream);
    });
    await (await node.submit(job())).done;
    expect(seen).toEqual(['logs']);
    node.serve('other', async (j) => {
      seen.push(j.deliveryStream);
    });
    await submitted.done;
    expect(seen).toEqual(['logs', 'other']);
  });

  it('a job whose node stops serving mid-run is run to the end by another node', async () => {
    d = deploy();
    const a = d.node();
    const b = d.node();
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const servedA = a.serve('logs', (_j, run) => new Promise<void>((_res, rej) => {
      started();
      run.signal.addEventListener('abort', () => rej(new Error('stopping')), { once: true });
    }));
    const submitted = await a.submit(job());
    await running;
    let finishedOnB = false;
    b.serve('logs', async () => {
      finishedOnB = true;
    });
    await servedA.stop();
    await submitted.done;
    expect(finishedOnB).toBe(true);
  });
});

describe('delivery scheduler on BullMQ: a node that dies', () => {
  it('a job held by a node that vanished (no lock renewal) moves to another node after the lock duration', async () => {
    const keyPrefix = uniquePrefix('sched-dead');
    const deadConnections: Redis[] = [];
    const dying = new BullmqScheduler({
      url: REDIS_URL, keyPrefix, ...FAST, lockDurationMs: 1500, stopGraceMs: 100,
      connect: () => {
        const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
        deadConnections.push(c);
        return c;
      },
    });
    const survivor = new BullmqScheduler({ url: REDIS_URL, keyPrefix, ...FAST, lockDurationMs: 1500 });
    try {
      let started!: () => void;
      const running = new Promise<void>((r) => { started = r; });
      dying.serve('logs', () => {
        started();
        return new Promise<void>(() => undefined); // hangs: the process is about to die
      });
      const submitted = await survivor.submit(job());
      await running;
      // The node dies: its connections drop without closing anything.
      for (const c of deadConnections) c.disconnect();
      const tookOver: number[] = [];
      survivor.serve('logs', async (_j, run) => {
        tookOver.push(run.attempt);
      });
      await submitted.done;
      expect(tookOver).toHaveLength(1);
    } finally {
      await survivor.close();
      // A dead node is not closed (its connections are gone): its worker is dropped as it is.
      void dying.close().catch(() => undefined);
      await deletePrefix(keyPrefix);
    }
  }, 30_000);
});
