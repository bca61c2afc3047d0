// Figures from a load run, and their formatting.
const MiB = 1024 * 1024;

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(result) {
  const seconds = result.elapsedMs / 1000;
  const latencies = Float64Array.from(result.latenciesMs).sort();
  return {
    recordsPerSec: result.records / seconds,
    mibPerSec: result.payloadBytes / MiB / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: result.okRequests,
    errors: result.errorRequests,
    failedRecords: result.failedRecords,
  };
}

export const formatInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const formatFixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const formatSize = (bytes) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`);
export const formatMiB = (bytes) => (Number.isFinite(bytes) ? (bytes / MiB).toFixed(1) : 'n/a');
