import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics named after Firehose's CloudWatch metrics (`AWS/Firehose`), with the
 * dot in names such as `DeliveryToS3.Records` written as `_` (Prometheus names allow no dots),
 * labelled by `DeliveryStreamName` as CloudWatch's dimension is.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly label = ['DeliveryStreamName'] as const;

  readonly incomingBytes = this.counter('IncomingBytes', 'Bytes accepted by PutRecord and PutRecordBatch (decoded).');
  readonly incomingRecords = this.counter('IncomingRecords', 'Records accepted by PutRecord and PutRecordBatch.');
  readonly incomingPutRequests = this.counter('IncomingPutRequests', 'Successful PutRecord and PutRecordBatch requests.');
  readonly throttledRecords = this.counter('ThrottledRecords', 'Records refused because of throughput limits.');
  readonly deliveryToS3Records = this.counter('DeliveryToS3_Records', 'Records delivered to S3.');
  readonly deliveryToS3Bytes = this.counter('DeliveryToS3_Bytes', 'Bytes delivered to S3 (before compression).');
  readonly deliveryToS3Objects = this.counter('DeliveryToS3_ObjectCount', 'Objects written to S3.');
  readonly deliveryToS3Attempts = this.counter('DeliveryToS3_Attempts', 'S3 put attempts (a retry counts again).');
  readonly deliveryToS3Success = this.gauge('DeliveryToS3_Success', 'Successful S3 puts divided by attempted S3 puts since start (1 when nothing was attempted).');
  readonly deliveryToS3DataFreshness = this.gauge('DeliveryToS3_DataFreshness', 'Age in seconds of the oldest record not yet delivered to S3.');
  readonly recordsExpired = this.counter('RecordsExpired', 'Records dropped because they left the retention period before delivery (Hydrant-specific).');

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hydrant_' });
  }

  private counter(name: string, help: string): Counter<'DeliveryStreamName'> {
    return new Counter({ name, help, labelNames: this.label, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge<'DeliveryStreamName'> {
    return new Gauge({ name, help, labelNames: this.label, registers: [this.registry] });
  }

  /** Forget every series of a deleted delivery stream. */
  removeStream(name: string): void {
    for (const m of [this.incomingBytes, this.incomingRecords, this.incomingPutRequests, this.throttledRecords,
      this.deliveryToS3Records, this.deliveryToS3Bytes, this.deliveryToS3Objects, this.deliveryToS3Attempts, this.recordsExpired]) m.remove(name);
    this.deliveryToS3Success.remove(name);
    this.deliveryToS3DataFreshness.remove(name);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
