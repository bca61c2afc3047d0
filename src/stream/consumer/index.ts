export { SHARD_END, FileCheckpointStore, latestCheckpoints, type Checkpoint, type CheckpointSource } from './checkpoint.js';
export { ShardCoordinator, type ShardCoordinatorOptions, type ShardOutcome, type ShardTask } from './coordinator.js';
export { InProcessLeaseStore, type Lease, type LeaseStore } from './lease.js';
export { isReadToEnd, parentsOf, readyShards } from './lineage.js';
export { deaggregate, expandAggregate, KPL_MAGIC, type UserRecord } from './kpl.js';
