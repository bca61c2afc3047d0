import type { Metrics } from '../../observability/metrics.js';
import type { AttemptReport, DeliveryDriverOptions } from './delivery-driver.js';

/**
 * The driver's metric hooks for one destination of one delivery stream:
 * `DeliveryTo<Destination>.Records` / `.Bytes` (delivered), `.Attempts`, `.Success` (attempts
 * in which every record was delivered, over all attempts), `DeliveryRetries` and
 * `RetryBudgetWaits`. `countRecords` false leaves Records/Bytes to the caller (Redshift counts
 * the batch's records, not the driver's one unit of work per COPY).
 */
export function driverMetrics(metrics: Metrics, destination: string, streamName: string, countRecords = true): Pick<DeliveryDriverOptions, 'onAttempt' | 'onBudgetWait'> {
  const m = metrics.destination(destination);
  let attempts = 0;
  let successes = 0;
  return {
    onAttempt(r: AttemptReport) {
      attempts++;
      if (r.retryable === 0 && r.rejected === 0) successes++;
      m.attempts.labels(streamName).inc();
      m.success.labels(streamName).set(successes / attempts);
      if (r.attempt > 1) metrics.deliveryRetries.labels(streamName).inc();
      if (countRecords && r.delivered > 0) {
        m.records.labels(streamName).inc(r.delivered);
        m.bytes.labels(streamName).inc(r.deliveredBytes);
      }
    },
    onBudgetWait() {
      metrics.retryBudgetWaits.labels(streamName).inc();
    },
  };
}
