import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** One destination's `DeliveryTo<Destination>.*` metrics. */
export interface DestinationMetrics {
  records: Counter<'DeliveryStreamName'>;
  bytes: Counter<'DeliveryStreamName'>;
  attempts: Counter<'DeliveryStreamName'>;
  success: Gauge<'DeliveryStreamName'>;
  dataFreshness: Gauge<'DeliveryStreamName'>;
}

/**
 * Prometheus metrics named after Firehose's CloudWatch metrics (`AWS/Firehose`), with the
 * dot in names such as `DeliveryToS3.Records` written as `_` (Prometheus names allow no dots),
 * labelled by `DeliveryStreamName` as CloudWatch's dimension is.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly label = ['DeliveryStreamName'] as const;
  /** Every metric, for `removeStream` (declared before the metrics so it exists when they register). */
  private readonly all: (Counter<'DeliveryStreamName'> | Gauge<'DeliveryStreamName'>)[] = [];

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
  readonly succeedConversionRecords = this.counter('SucceedConversion_Records', 'Records converted to Parquet (record format conversion).');
  readonly succeedConversionBytes = this.counter('SucceedConversion_Bytes', 'Bytes of the records converted to Parquet (before conversion).');
  readonly failedConversionRecords = this.counter('FailedConversion_Records', 'Records that did not fit the table, written to format-conversion-failed.');
  readonly failedConversionBytes = this.counter('FailedConversion_Bytes', 'Bytes of the records written to format-conversion-failed.');
  readonly recordsExpired = this.counter('RecordsExpired', 'Records dropped because they left the retention period before delivery (Hydrant-specific).');
  readonly backupToS3Records = this.counter('BackupToS3_Records', 'Source records written to the S3 backup (S3BackupMode Enabled / All*).');
  readonly backupToS3Bytes = this.counter('BackupToS3_Bytes', 'Source record bytes written to the S3 backup (before compression).');
  readonly backupToS3Attempts = this.counter('BackupToS3_Attempts', 'Source-backup object writes attempted (Hydrant-specific; a retry counts again).');
  readonly backupToS3Success = this.gauge('BackupToS3_Success', 'Successful source-backup object writes divided by attempted ones.');
  readonly deliveryRetries = this.counter('DeliveryRetries', 'Retry attempts made by the delivery driver (Hydrant-specific).');
  readonly retryBudgetWaits = this.counter('RetryBudgetWaits', 'Retries that waited because the destination retry budget was used up (Hydrant-specific).');
  readonly deliveryFailedRecords = this.counter('DeliveryFailedRecords', 'Records the destination did not take after the retry duration (or rejected), handed to the S3 backup (Hydrant-specific).');
  readonly backupWriteFailures = this.counter('BackupWriteFailures', 'Failed writes to the S3 backup; delivery pauses until the write succeeds (Hydrant-specific).');
  readonly deliveryPausedForBackup = this.gauge('DeliveryPausedForBackup', '1 while delivery is paused because writing the S3 backup fails, else 0 (Hydrant-specific).');
  readonly executeProcessingDuration = this.gauge('ExecuteProcessing_Duration', 'Milliseconds the last transform (Lambda) invocation took.');
  readonly executeProcessingSuccess = this.gauge('ExecuteProcessing_Success', 'Successful transform invocations divided by all invocations since start.');
  readonly succeedProcessingRecords = this.counter('SucceedProcessing_Records', 'Records processed successfully by the transform (Ok and Dropped).');
  readonly succeedProcessingBytes = this.counter('SucceedProcessing_Bytes', 'Bytes of records processed successfully by the transform (their output).');
  readonly failedProcessingRecords = this.counter('FailedProcessing_Records', 'Records the transform failed, written to the error prefix (Hydrant-specific).');
  readonly activePartitionsLimit = this.gauge('ActivePartitionsLimit', 'The active-partition limit of dynamic partitioning.');
  readonly partitionCount = this.gauge('PartitionCount', 'Partitions in the last batch cut with dynamic partitioning.');
  readonly partitionCountExceeded = this.gauge('PartitionCountExceeded', '1 if the last batch had more partitions than the limit, else 0.');
  private readonly destinations = new Map<string, DestinationMetrics>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hydrant_' });
  }

  private counter(name: string, help: string): Counter<'DeliveryStreamName'> {
    const c = new Counter({ name, help, labelNames: this.label, registers: [this.registry] });
    this.all.push(c);
    return c;
  }

  private gauge(name: string, help: string): Gauge<'DeliveryStreamName'> {
    const g = new Gauge({ name, help, labelNames: this.label, registers: [this.registry] });
    this.all.push(g);
    return g;
  }

  /**
   * The `DeliveryTo<Destination>.*` metrics of a destination other than S3 (`Redshift`,
   * `HttpEndpoint`, `Splunk`, `AmazonOpenSearchService`, ...), registered on first use.
   */
  destination(name: string): DestinationMetrics {
    let m = this.destinations.get(name);
    if (!m) {
      const p = `DeliveryTo${name}`;
      m = {
        records: this.counter(`${p}_Records`, `Records delivered to ${name}.`),
        bytes: this.counter(`${p}_Bytes`, `Bytes delivered to ${name}.`),
        attempts: this.counter(`${p}_Attempts`, `Delivery attempts to ${name} (Hydrant-specific; a retry counts again).`),
        success: this.gauge(`${p}_Success`, `Successful delivery attempts to ${name} divided by all attempts since start.`),
        dataFreshness: this.gauge(`${p}_DataFreshness`, `Age in seconds of the oldest record not yet delivered to ${name}.`),
      };
      this.destinations.set(name, m);
    }
    return m;
  }

  /** Forget every series of a deleted delivery stream. */
  removeStream(name: string): void {
    for (const m of this.all) m.remove(name);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
