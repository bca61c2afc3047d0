import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import type { Checkpoint } from '../stream/consumer/checkpoint.js';
import type { ExtendedS3DestinationConfiguration } from './destinations/s3-config.js';
import type { RedshiftDestinationConfiguration } from '../../sinks/redshift/config.js';

export type DeliveryStreamStatus = 'CREATING' | 'CREATING_FAILED' | 'DELETING' | 'DELETING_FAILED' | 'ACTIVE';

export interface Tag {
  Key: string;
  Value?: string;
}

/** A delivery stream's definition as persisted in the data dir (one JSON file per stream). */
export interface DeliveryStreamDefinition {
  name: string;
  arn: string;
  type: 'DirectPut' | 'KinesisStreamAsSource';
  status: DeliveryStreamStatus;
  /** Random per creation: a stream deleted and created again under the same name is a new incarnation. */
  incarnation: string;
  versionId: number;
  createdAt: number;
  lastUpdatedAt?: number;
  destinationId: string;
  /** The destination as given (input shapes); defaults are applied when read. */
  destination: DestinationDefinition;
  directPutSource?: { ThroughputHintInMBs?: number };
  /** Set for a `KinesisStreamAsSource` stream. */
  kinesisSource?: KinesisSourceDefinition;
  encryption?: { KeyType?: string; KeyARN?: string; Status: string };
  tags: Tag[];
  /** Backing stream shards (Direct PUT). */
  shardCount: number;
}

/**
 * A delivery stream's one destination, keyed by the API member name without
 * `DestinationConfiguration` (exactly one member is set). `legacyS3` marks an S3 destination
 * created with the legacy `S3DestinationConfiguration` shape.
 */
export interface DestinationDefinition {
  ExtendedS3?: ExtendedS3DestinationConfiguration;
  legacyS3?: boolean;
  Redshift?: RedshiftDestinationConfiguration;
  /** A destination delivered through a sink (HTTP endpoint, Splunk, OpenSearch, a plugin). */
  sink?: SinkDestinationDefinition;
}

/** A sink destination as given: its CreateDeliveryStream member and that member's value. */
export interface SinkDestinationDefinition {
  /** e.g. `SplunkDestinationConfiguration`, `HydrantPluginDestinationConfiguration`. */
  member: string;
  config: Record<string, unknown>;
}

/** Which destination a definition has: `ExtendedS3`, `Redshift`, or a sink's member name. */
export type DestinationType = string;

export function destinationType(d: DestinationDefinition): DestinationType {
  return d.Redshift ? 'Redshift' : d.sink ? d.sink.member : 'ExtendedS3';
}

/** The Kinesis data stream a delivery stream reads, and where reading started. */
export interface KinesisSourceDefinition {
  KinesisStreamARN: string;
  RoleARN: string;
  /** When reading started (epoch ms), shown as `DeliveryStartTimestamp`. */
  deliveryStartedAt: number;
  /** The source stream's creation time: a stream deleted and created again under its name is another stream. */
  streamCreatedAt: number;
  /**
   * Every shard's checkpoint at creation (LATEST), stored with the definition so records written
   * after CreateDeliveryStream returned are read even if Hydrant restarts before reading any.
   * Shards created later are read from their beginning.
   */
  startCheckpoints: Record<string, Checkpoint>;
}

/** Delivery stream definitions under `<dataDir>/catalog/delivery-streams/`, each written atomically. */
export class DeliveryStreamCatalog {
  private constructor(private readonly dir: string) {}

  static open(dataDir: string): DeliveryStreamCatalog {
    return new DeliveryStreamCatalog(join(dataDir, 'catalog', 'delivery-streams'));
  }

  async loadAll(): Promise<DeliveryStreamDefinition[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: DeliveryStreamDefinition[] = [];
    for (const n of names.filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
      const def = await readJsonFile<DeliveryStreamDefinition>(join(this.dir, n));
      if (def) out.push(def);
    }
    return out;
  }

  save(def: DeliveryStreamDefinition): Promise<void> {
    return writeFileAtomic(join(this.dir, `${def.name}.json`), JSON.stringify(def, null, 2));
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.json`), { force: true });
  }
}
