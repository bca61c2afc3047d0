/**
 * A timestamp in an AWS API response. JSON protocols carry epoch seconds (with a millisecond
 * fraction); the CBOR protocol carries tag 1 wrapping integer epoch *milliseconds* (an AWS quirk
 * the Java SDK depends on). Operations return this type and each encoder renders it its way.
 */
export class AwsTimestamp {
  constructor(readonly ms: number) {}

  /** JSON.stringify renders it as epoch seconds, e.g. 1459799926.48. */
  toJSON(): number {
    return this.ms / 1000;
  }
}
