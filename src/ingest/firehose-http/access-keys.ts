import { timingSafeEqual, createHash } from 'node:crypto';

/**
 * Which `X-Amz-Firehose-Access-Key` values may deliver to a delivery stream: the keys configured
 * for that stream, else the node-wide keys; with none configured anywhere every request is
 * accepted (the startup log says so). Compared in constant time.
 */
export interface FirehoseAccessKeys {
  /** Keys accepted for every delivery stream. */
  keys?: readonly string[];
  /** Keys for one delivery stream (replace the node-wide ones for it). */
  streams?: Readonly<Record<string, readonly string[]>>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `presented` may deliver to `stream`. */
export function accessKeyAllowed(config: FirehoseAccessKeys | undefined, stream: string, presented: string | undefined): boolean {
  const allowed = config?.streams?.[stream] ?? config?.keys;
  if (!allowed || allowed.length === 0) return true;
  if (presented === undefined) return false;
  const p = digest(presented);
  let ok = false;
  for (const k of allowed) ok = timingSafeEqual(p, digest(k)) || ok;
  return ok;
}

/** True when any key is configured (otherwise the route accepts every request). */
export function accessKeysConfigured(config: FirehoseAccessKeys | undefined): boolean {
  return (config?.keys?.length ?? 0) > 0 || Object.values(config?.streams ?? {}).some((k) => k.length > 0);
}
