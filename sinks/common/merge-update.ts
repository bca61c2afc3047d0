/**
 * UpdateDestination for a destination of the same type: AWS merges the members given into the
 * configuration that exists (destinations.md, Firehose API). Nested structures (`BufferingHints`,
 * `EndpointConfiguration`, ...) merge member by member; lists and scalars replace; the update's
 * `S3Update` merges into `S3Configuration`. Pure.
 */
export function mergeDestinationUpdate<T extends object>(current: T, update: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(current as Record<string, unknown>) };
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined) continue;
    const key = k === 'S3Update' ? 'S3Configuration' : k;
    const existing = out[key];
    out[key] = isPlainObject(v) && isPlainObject(existing) ? mergeDestinationUpdate(existing, v) : v;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
