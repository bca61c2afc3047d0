/**
 * Firehose's S3 configuration shapes (API names, PascalCase) shared by the S3 destination, the
 * backup buckets of the other destinations and Redshift's intermediate bucket. Types only.
 */

export interface BufferingHints {
  SizeInMBs?: number;
  IntervalInSeconds?: number;
}

export interface EncryptionConfiguration {
  NoEncryptionConfig?: 'NoEncryption';
  KMSEncryptionConfig?: { AWSKMSKeyARN: string };
}

export interface CloudWatchLoggingOptions {
  Enabled?: boolean;
  LogGroupName?: string;
  LogStreamName?: string;
}

/**
 * `S3DestinationConfiguration`: the nested S3 shape (Redshift's intermediate bucket, the backup
 * bucket of OpenSearch / Splunk / HTTP endpoints, the source-record backup of Extended S3 and
 * Redshift). `S3DestinationUpdate` has the same members, all optional.
 */
export interface S3DestinationConfiguration {
  RoleARN: string;
  BucketARN: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  BufferingHints?: BufferingHints;
  CompressionFormat?: string;
  EncryptionConfiguration?: EncryptionConfiguration;
  CloudWatchLoggingOptions?: CloudWatchLoggingOptions;
}
