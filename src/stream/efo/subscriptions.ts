import type { AwsError } from '../../core/aws-error.js';

/** A claim on one consumer + shard pair, held for the life of one SubscribeToShard stream. */
export interface SubscriptionLease {
  /** Aborted (reason: the AWS error to send) when a newer subscription takes over. */
  readonly signal: AbortSignal;
  /** The subscription ended: the pair is free (after the re-subscribe window). */
  release(): void;
}

interface Holder {
  startedAt: number;
  controller: AbortController;
  active: boolean;
  timer?: NodeJS.Timeout;
}

export interface SubscriptionTableOptions {
  now?: () => number;
  /** A new SubscribeToShard for the same consumer and shard within this of a successful one is refused; default 5,000 ms (AWS). */
  resubscribeWindowMs?: number;
}

/**
 * Who is subscribed to what, with AWS's rule for the same consumer and shard: within 5 seconds
 * of a successful SubscribeToShard another call gets ResourceInUseException; after that the new
 * call takes over and the previous subscription ends (with ResourceInUseException).
 */
export class SubscriptionTable {
  private readonly holders = new Map<string, Holder>();
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(opts: SubscriptionTableOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.windowMs = opts.resubscribeWindowMs ?? 5_000;
  }

  /**
   * Claim `consumerArn` + `shardId`. Throws `busy()` within the window of the previous claim;
   * otherwise aborts the previous holder with `takenOver()` and returns the new lease.
   */
  claim(consumerArn: string, shardId: string, errors: { busy: () => AwsError; takenOver: () => AwsError }): SubscriptionLease {
    const key = `${consumerArn}\n${shardId}`;
    const now = this.now();
    const previous = this.holders.get(key);
    if (previous && now - previous.startedAt < this.windowMs) throw errors.busy();
    if (previous) {
      if (previous.timer) clearTimeout(previous.timer);
      if (previous.active) previous.controller.abort(errors.takenOver());
    }
    const holder: Holder = { startedAt: now, controller: new AbortController(), active: true };
    this.holders.set(key, holder);
    return {
      signal: holder.controller.signal,
      release: () => {
        if (!holder.active) return;
        holder.active = false;
        if (this.holders.get(key) !== holder) return;
        // The window runs from the start of the call, even after the stream ended.
        const left = holder.startedAt + this.windowMs - this.now();
        if (left <= 0) {
          this.holders.delete(key);
          return;
        }
        holder.timer = setTimeout(() => {
          if (this.holders.get(key) === holder) this.holders.delete(key);
        }, left);
        holder.timer.unref();
      },
    };
  }

  /** Subscriptions currently streaming. */
  get active(): number {
    let n = 0;
    for (const h of this.holders.values()) if (h.active) n++;
    return n;
  }
}
