export { RedisBackend, type RedisBackendOptions } from './backend.js';
export { RedisCheckpointStore, type RedisCheckpointStoreOptions } from './checkpoint-store.js';
export { RedisKeys } from './keys.js';
export { RedisLeaseBalancer } from './lease-balancer.js';
export { RedisLeaseStore, type RedisLeaseStoreOptions } from './lease-store.js';
export { NodeRegistry, type NodeRegistryOptions } from './node-registry.js';
export { RedisShardLog, type RedisShardLogOptions } from './shard-log.js';
export { RedisStreamStorage } from './stream-storage.js';
