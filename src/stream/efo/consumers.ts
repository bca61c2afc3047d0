import { join } from 'node:path';
import { AwsTimestamp } from '../../core/timestamp.js';
import { readJsonFile, writeFileAtomic } from '../../util/atomic-file.js';
import { efoErrors } from './messages.js';

export type ConsumerStatus = 'CREATING' | 'ACTIVE' | 'DELETING';

export interface ConsumerRegistryOptions {
  /** Directory holding `consumers.json`. */
  dir: string;
  accountId: string;
  region: string;
  now?: () => number;
  /** CREATING → ACTIVE (AWS: several seconds); default 500 ms. */
  createDelayMs?: number;
  /** DELETING → gone after deregistration; default 500 ms. */
  deleteDelayMs?: number;
  /** Consumers per stream; default 20 (AWS, except On-demand Advantage streams). */
  maxPerStream?: number;
  /** Consumers in CREATING at once in the account; default 5 (AWS). */
  maxCreating?: number;
}

/** Names a consumer the way DescribeStreamConsumer / DeregisterStreamConsumer accept it. */
export interface ConsumerRef {
  ConsumerARN?: string;
  StreamARN?: string;
  ConsumerName?: string;
}

/** A consumer as the API shows it (`Consumer`); `ConsumerDescription` adds `StreamARN`. */
export interface ConsumerShape {
  ConsumerName: string;
  ConsumerARN: string;
  ConsumerStatus: ConsumerStatus;
  ConsumerCreationTimestamp: AwsTimestamp;
}

export interface ConsumerDescription extends ConsumerShape {
  StreamARN: string;
}

/** What is persisted about one consumer. */
interface StoredConsumer {
  arn: string;
  name: string;
  streamArn: string;
  streamName: string;
  createdAt: number;
  tags: Record<string, string>;
  /** Set by deregistration: DELETING until `deletingAt + deleteDelayMs`. */
  deletingAt?: number;
}

/** A registered consumer with its current status. */
export interface ConsumerInfo {
  readonly arn: string;
  readonly name: string;
  readonly streamArn: string;
  readonly streamName: string;
  readonly createdAt: number;
  readonly status: ConsumerStatus;
  readonly tags: Readonly<Record<string, string>>;
  /** Aborted (with an AWS error as reason) when the consumer is deregistered or its stream deleted. */
  readonly removed: AbortSignal;
}

interface Entry {
  stored: StoredConsumer;
  removal: AbortController;
}

const FILE = 'consumers.json';
const CONSUMER_ARN = /^(arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream\/[a-zA-Z0-9_.-]+)\/consumer\/([a-zA-Z0-9_.-]+):(\d+)$/;
const NEXT_TOKEN_TTL_MS = 300_000;
const DEFAULT_MAX_RESULTS = 100;

/** The stream name inside a stream ARN (`…:stream/<name>`). */
function streamNameOf(streamArn: string): string {
  return streamArn.slice(streamArn.lastIndexOf('/') + 1);
}

/**
 * Enhanced fan-out consumers registered on Kinesis streams, persisted as one JSON file
 * written atomically. Status follows time rather than timers: a consumer is CREATING for
 * `createDelayMs` after registration, then ACTIVE; DELETING for `deleteDelayMs` after
 * deregistration, then gone. That keeps the registry exact under an injected clock and after
 * a restart.
 */
export class ConsumerRegistry {
  private readonly byArn = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly createDelayMs: number;
  private readonly deleteDelayMs: number;
  private readonly maxPerStream: number;
  private readonly maxCreating: number;
  /** Serializes writes of the file (each writes the state current when it runs). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ConsumerRegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.createDelayMs = opts.createDelayMs ?? 500;
    this.deleteDelayMs = opts.deleteDelayMs ?? 500;
    this.maxPerStream = opts.maxPerStream ?? 20;
    this.maxCreating = opts.maxCreating ?? 5;
  }

  /** A registry with the consumers persisted under `opts.dir` (none if the file does not exist). */
  static async open(opts: ConsumerRegistryOptions): Promise<ConsumerRegistry> {
    const registry = new ConsumerRegistry(opts);
    await registry.load();
    return registry;
  }

  /** Read the persisted consumers (replacing what is in memory). */
  async load(): Promise<void> {
    const file = await readJsonFile<{ consumers: StoredConsumer[] }>(join(this.opts.dir, FILE));
    this.byArn.clear();
    for (const stored of file?.consumers ?? []) this.byArn.set(stored.arn, { stored, removal: new AbortController() });
    this.sweep();
  }

  get accountId(): string {
    return this.opts.accountId;
  }

  private statusOf(c: StoredConsumer, now = this.now()): ConsumerStatus | undefined {
    if (c.deletingAt !== undefined) return now >= c.deletingAt + this.deleteDelayMs ? undefined : 'DELETING';
    return now >= c.createdAt + this.createDelayMs ? 'ACTIVE' : 'CREATING';
  }

  /** Forget consumers whose deletion has completed. */
  private sweep(): void {
    const now = this.now();
    for (const [arn, e] of this.byArn) if (this.statusOf(e.stored, now) === undefined) this.byArn.delete(arn);
  }

  private live(): Entry[] {
    this.sweep();
    return [...this.byArn.values()];
  }

  private persist(): Promise<void> {
    const run = this.writing.then(() => {
      const consumers = [...this.byArn.values()].map((e) => e.stored);
      return writeFileAtomic(join(this.opts.dir, FILE), JSON.stringify({ consumers }, null, 2));
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private info(e: Entry): ConsumerInfo {
    const s = e.stored;
    return {
      arn: s.arn,
      name: s.name,
      streamArn: s.streamArn,
      streamName: s.streamName,
      createdAt: s.createdAt,
      status: this.statusOf(s) ?? 'DELETING',
      tags: s.tags,
      removed: e.removal.signal,
    };
  }

  private shape(e: Entry): ConsumerShape {
    return {
      ConsumerName: e.stored.name,
      ConsumerARN: e.stored.arn,
      ConsumerStatus: this.statusOf(e.stored) ?? 'DELETING',
      ConsumerCreationTimestamp: new AwsTimestamp(e.stored.createdAt),
    };
  }

  private inStream(streamArn: string): Entry[] {
    return this.live()
      .filter((e) => e.stored.streamArn === streamArn)
      .sort((a, b) => a.stored.createdAt - b.stored.createdAt || (a.stored.name < b.stored.name ? -1 : 1));
  }

  /**
   * Register `consumerName` on a stream (whose existence the caller checked). The consumer starts
   * CREATING. A name in use on the stream (even DELETING) → ResourceInUseException; over the
   * per-stream or CREATING limits → LimitExceededException. Nothing is kept if the write fails.
   */
  async register(streamArn: string, streamName: string, consumerName: string, tags: Record<string, string> = {}): Promise<ConsumerShape> {
    const account = this.opts.accountId;
    const existing = this.inStream(streamArn);
    if (existing.some((e) => e.stored.name === consumerName)) throw efoErrors.consumerExists(consumerName, streamName, account);
    if (existing.length >= this.maxPerStream) throw efoErrors.tooManyConsumers(streamName, account, this.maxPerStream);
    const now = this.now();
    const creating = this.live().filter((e) => this.statusOf(e.stored, now) === 'CREATING').length;
    if (creating >= this.maxCreating) throw efoErrors.tooManyCreating(account, this.maxCreating);
    const stored: StoredConsumer = {
      arn: `${streamArn}/consumer/${consumerName}:${Math.floor(now / 1000)}`,
      name: consumerName,
      streamArn,
      streamName,
      createdAt: now,
      tags: { ...tags },
    };
    const entry: Entry = { stored, removal: new AbortController() };
    this.byArn.set(stored.arn, entry);
    try {
      await this.persist();
    } catch (err) {
      if (this.byArn.get(stored.arn) === entry) this.byArn.delete(stored.arn);
      throw err;
    }
    return this.shape(entry);
  }

  /**
   * The consumer a request names: by `ConsumerARN`, or by `StreamARN` + `ConsumerName`; when all
   * three are given they must agree. InvalidArgumentException for a missing or mixed reference,
   * ResourceNotFoundException when there is no such consumer.
   */
  private resolve(ref: ConsumerRef): Entry {
    const account = this.opts.accountId;
    if (ref.ConsumerARN !== undefined) {
      const m = CONSUMER_ARN.exec(ref.ConsumerARN);
      if (!m) throw efoErrors.invalidConsumerArn(ref.ConsumerARN);
      if ((ref.StreamARN !== undefined && ref.StreamARN !== m[1]) || (ref.ConsumerName !== undefined && ref.ConsumerName !== m[2])) {
        throw efoErrors.refMismatch(ref.ConsumerARN);
      }
      this.sweep();
      const e = this.byArn.get(ref.ConsumerARN);
      if (!e) throw efoErrors.consumerNotFound(m[2], streamNameOf(m[1]), account);
      return e;
    }
    if (ref.StreamARN === undefined || ref.ConsumerName === undefined) throw efoErrors.refRequired();
    const e = this.inStream(ref.StreamARN).find((c) => c.stored.name === ref.ConsumerName);
    if (!e) throw efoErrors.consumerNotFound(ref.ConsumerName, streamNameOf(ref.StreamARN), account);
    return e;
  }

  /** Start deleting a consumer: DELETING now, gone after `deleteDelayMs`. Its subscriptions end. */
  async deregister(ref: ConsumerRef): Promise<void> {
    const e = this.resolve(ref);
    if (e.stored.deletingAt !== undefined) return;
    const before = e.stored;
    e.stored = { ...before, deletingAt: this.now() };
    try {
      await this.persist();
    } catch (err) {
      e.stored = before;
      throw err;
    }
    e.removal.abort(efoErrors.consumerNotActive(before.name, Math.floor(before.createdAt / 1000), before.streamName, this.opts.accountId));
  }

  /** DescribeStreamConsumer's `ConsumerDescription`. */
  describe(ref: ConsumerRef): ConsumerDescription {
    const e = this.resolve(ref);
    return { ...this.shape(e), StreamARN: e.stored.streamArn };
  }

  /** ListStreamConsumers: a stream's consumers, oldest first, in pages of `MaxResults` (default 100). */
  list(streamArn: string, page: { NextToken?: string; MaxResults?: number } = {}): { Consumers: ConsumerShape[]; NextToken?: string } {
    let all = this.inStream(streamArn);
    if (page.NextToken !== undefined) {
      const cursor = this.readToken(page.NextToken);
      if (cursor.stream !== streamArn) throw efoErrors.nextTokenStream();
      all = all.filter((e) => e.stored.createdAt > cursor.createdAt || (e.stored.createdAt === cursor.createdAt && e.stored.name > cursor.name));
    }
    const max = page.MaxResults ?? DEFAULT_MAX_RESULTS;
    const out: { Consumers: ConsumerShape[]; NextToken?: string } = { Consumers: all.slice(0, max).map((e) => this.shape(e)) };
    if (all.length > max) {
      const last = all[max - 1].stored;
      out.NextToken = Buffer.from(JSON.stringify({ stream: streamArn, createdAt: last.createdAt, name: last.name, at: this.now() })).toString('base64');
    }
    return out;
  }

  private readToken(token: string): { stream: string; createdAt: number; name: string } {
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (!body || typeof body !== 'object' || typeof body.stream !== 'string' || typeof body.createdAt !== 'number' ||
      typeof body.name !== 'string' || typeof body.at !== 'number') {
      throw efoErrors.invalidNextToken();
    }
    if (this.now() - body.at > NEXT_TOKEN_TTL_MS) throw efoErrors.expiredNextToken(token);
    return { stream: body.stream, createdAt: body.createdAt, name: body.name };
  }

  /** Consumers registered on a stream (any status), for DeleteStream and DescribeStreamSummary. */
  count(streamArn: string): number {
    return this.inStream(streamArn).length;
  }

  /** Remove every consumer of a (deleted) stream at once; their subscriptions end. */
  async deleteAllFor(streamArn: string): Promise<void> {
    const gone = this.inStream(streamArn);
    if (gone.length === 0) return;
    for (const e of gone) this.byArn.delete(e.stored.arn);
    await this.persist();
    for (const e of gone) e.removal.abort(efoErrors.consumerArnNotFound(e.stored.arn));
  }

  /** A consumer by ARN with its current status; undefined once it is gone. */
  find(consumerArn: string): ConsumerInfo | undefined {
    this.sweep();
    const e = this.byArn.get(consumerArn);
    return e ? this.info(e) : undefined;
  }

  /** Tags of a consumer (TagResource / ListTagsForResource by consumer ARN). */
  tags(consumerArn: string): Record<string, string> {
    return { ...this.resolve({ ConsumerARN: consumerArn }).stored.tags };
  }

  async tag(consumerArn: string, tags: Record<string, string>): Promise<void> {
    const e = this.resolve({ ConsumerARN: consumerArn });
    const before = e.stored;
    e.stored = { ...before, tags: { ...before.tags, ...tags } };
    await this.persist().catch((err: unknown) => {
      e.stored = before;
      throw err;
    });
  }

  async untag(consumerArn: string, keys: string[]): Promise<void> {
    const e = this.resolve({ ConsumerARN: consumerArn });
    const before = e.stored;
    const tags = { ...before.tags };
    for (const k of keys) delete tags[k];
    e.stored = { ...before, tags };
    await this.persist().catch((err: unknown) => {
      e.stored = before;
      throw err;
    });
  }

  /** Wait for pending writes. */
  async close(): Promise<void> {
    await this.writing;
  }
}
