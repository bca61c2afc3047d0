import { describe, expect, it } from 'vitest';
import { DESTINATION_KINDS } from '../../sinks/index.js';
import { pluginResolvedDestination, resolvePluginDestination } from '../../src/plugins/index.js';

const S3 = { RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::backup', Prefix: 'p/' };
const ctx = { deliveryStreamName: 's', deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s' };

describe('built-in destination kinds', () => {
  it.each([
    ['HttpEndpointDestinationConfiguration', { EndpointConfiguration: { Url: 'http://localhost:1/x' }, S3BackupMode: 'AllData', S3Configuration: S3 }, { retryWindow: 'after-first-failure', backup: 'all', errorOutputType: 'http-endpoint-failed', retryDurationSeconds: 300, limits: { maxBytes: 5 * 1024 * 1024, maxRecords: 10_000, intervalMs: 300_000 } }],
    ['SplunkDestinationConfiguration', { HECEndpoint: 'http://localhost:8088', HECEndpointType: 'Raw', HECToken: 't', RetryOptions: { DurationInSeconds: 0 }, S3Configuration: S3 }, { retryWindow: 'after-first-failure', backup: 'failed', errorOutputType: 'splunk-failed', retryDurationSeconds: 0, limits: { maxBytes: 5 * 1024 * 1024, intervalMs: 60_000 } }],
    ['AmazonopensearchserviceDestinationConfiguration', { ClusterEndpoint: 'http://localhost:9200', IndexName: 'i', S3BackupMode: 'AllDocuments', S3Configuration: S3 }, { retryWindow: 'from-first-attempt', backup: 'all', errorOutputType: 'AmazonOpenSearchService-failed', retryDurationSeconds: 300 }],
    ['ElasticsearchDestinationConfiguration', { ClusterEndpoint: 'http://localhost:9200', IndexName: 'i', S3Configuration: S3 }, { retryWindow: 'from-first-attempt', backup: 'failed', errorOutputType: 'elasticsearch-failed' }],
  ])('%s resolves to what the driver needs and builds its sink', async (member, cfg, expected) => {
    const kind = DESTINATION_KINDS[member];
    const r = kind.resolve(cfg);
    expect(r).toMatchObject({ member, ...expected, s3: S3 });
    const sink = await r.createSink(ctx);
    expect(typeof sink.send).toBe('function');
    await sink.close?.();
    expect(kind.describe(cfg)).toMatchObject({ S3DestinationDescription: { BucketARN: S3.BucketARN, Prefix: 'p/' } });
  });

  it('updates merge member by member (S3Update into S3Configuration) and check the transition', () => {
    const http = DESTINATION_KINDS.HttpEndpointDestinationConfiguration;
    const merged = http.update({ EndpointConfiguration: { Url: 'https://a', AccessKey: 'k' }, S3Configuration: S3 }, { EndpointConfiguration: { Url: 'https://b' }, S3Update: { Prefix: 'q/' } });
    expect(merged).toEqual({ EndpointConfiguration: { Url: 'https://b', AccessKey: 'k' }, S3Configuration: { ...S3, Prefix: 'q/' } });
    const splunk = DESTINATION_KINDS.SplunkDestinationConfiguration;
    expect(() => splunk.update({ HECEndpoint: 'h', HECEndpointType: 'Raw', S3BackupMode: 'AllEvents', S3Configuration: S3 }, { S3BackupMode: 'FailedEventsOnly' })).toThrow(/AllEvents to FailedEventsOnly/);
    const os = DESTINATION_KINDS.AmazonopensearchserviceDestinationConfiguration;
    expect(() => os.update({ ClusterEndpoint: 'h', IndexName: 'i', S3Configuration: S3 }, { S3BackupMode: 'AllDocuments' })).toThrow(/cannot be changed/);
    expect(DESTINATION_KINDS.SplunkDestinationConfiguration.updateMember).toBe('SplunkDestinationUpdate');
    expect(os.descriptionMember).toBe('AmazonopensearchserviceDestinationDescription');
  });

  it('a plugin destination resolves to the same shape', async () => {
    const p = await resolvePluginDestination({ Module: '../../examples/sinks/webhook/index.ts', Options: { url: 'http://x' }, S3Configuration: S3 }, { baseDir: import.meta.dirname });
    const r = pluginResolvedDestination(p);
    expect(r).toMatchObject({ member: 'HydrantPluginDestinationConfiguration', retryWindow: 'after-first-failure', backup: 'failed', errorOutputType: 'webhook-failed' });
    expect(typeof (await r.createSink(ctx)).send).toBe('function');
  });
});
