/**
 * An OpenSearch node for tests, speaking the parts of the REST API a Firehose-style sink and the
 * official client use (destinations.md §3.3–3.4): `GET /` (cluster info), `PUT /<index>` and
 * `HEAD /<index>`, `GET /<index>/_doc/<id>`, and `POST|PUT [/<index>]/_bulk` with NDJSON framing
 * rules (terminating newline, action + source lines), auto-created indices, dynamic mapping of
 * numbers (a later non-numeric value is a `mapper_parsing_exception`), `index`/`create`/`delete`
 * actions with versions, per-item failures chosen by the test, whole-request 429 throttling, and
 * optional basic auth.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveDouble } from './serve.js';

export interface ItemFailure {
  status: number;
  type: string;
  reason: string;
}

export interface BulkCall {
  path: string;
  headers: IncomingMessage['headers'];
  actions: { action: string; index: string; id?: string; source?: unknown }[];
  statuses: number[];
}

export interface OpenSearchDouble {
  url: string;
  /** Stored documents of an index by id. */
  documents(index: string): Map<string, { source: unknown; version: number }>;
  indices(): string[];
  bulkCalls: BulkCall[];
  /** Decide a per-item failure for a document (called for every index/create action). */
  failItems(fn: ((doc: { index: string; id?: string; source: unknown; attempt: number }) => ItemFailure | undefined) | undefined): void;
  /** Answer the next `n` bulk requests with a whole-request 429. */
  throttleNext(n: number): void;
  /** The next bulk requests get no answer (`hang`) or a closed connection (`reset`). */
  misbehaveNext(...how: ('hang' | 'reset')[]): void;
  /** While on, every request is answered 503 (a cluster that lost its master). */
  unavailable(on: boolean): void;
  /** Refuse to auto-create indices (items for a missing index fail with 404 index_not_found_exception). */
  autoCreate(on: boolean): void;
  stop(): Promise<void>;
}

export const REJECTED_EXECUTION: ItemFailure = { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' };

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

export async function startOpenSearch(opts: { users?: Record<string, string> } = {}): Promise<OpenSearchDouble> {
  const store = new Map<string, Map<string, { source: unknown; version: number }>>();
  const mappings = new Map<string, Map<string, 'number' | 'string' | 'boolean' | 'object'>>();
  const seen = new Map<string, number>();
  const bulkCalls: BulkCall[] = [];
  let failer: Parameters<OpenSearchDouble['failItems']>[0];
  let throttle = 0;
  let create = true;
  let down = false;
  const misbehave: ('hang' | 'reset')[] = [];
  let seqNo = 0;

  const ensureIndex = (index: string): boolean => {
    if (store.has(index)) return true;
    if (!create) return false;
    store.set(index, new Map());
    mappings.set(index, new Map());
    return true;
  };

  /** Dynamic mapping: the first value of a field fixes its type; a later incompatible one fails to parse. */
  const mapDocument = (index: string, source: unknown): ItemFailure | undefined => {
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      return { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse, document is empty or not an object' };
    }
    const mapping = mappings.get(index)!;
    for (const [field, value] of Object.entries(source)) {
      const kind = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : typeof value === 'object' && value !== null ? 'object' : 'string';
      const known = mapping.get(field);
      if (!known) mapping.set(field, kind);
      else if (known === 'number' && kind !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) {
        return { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse field [${field}] of type [float] in document` };
      }
    }
    return undefined;
  };

  const bulk = (req: IncomingMessage, res: ServerResponse, body: string, pathIndex: string | undefined) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0];
    if (type !== 'application/x-ndjson' && type !== 'application/json') {
      return reply(res, 406, { error: `Content-Type header [${type}] is not supported`, status: 406 });
    }
    if (throttle > 0) {
      throttle--;
      return reply(res, 429, errorBody(429, 'es_rejected_execution_exception', 'rejected execution of bulk request'), { 'retry-after': '1' });
    }
    if (!body.endsWith('\n')) return reply(res, 400, errorBody(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'));
    const lines = body.split('\n');
    lines.pop();
    const call: BulkCall = { path: req.url ?? '', headers: req.headers, actions: [], statuses: [] };
    const items: Record<string, unknown>[] = [];
    const started = Date.now();
    for (let i = 0; i < lines.length; i++) {
      let actionLine: Record<string, { _index?: string; _id?: string }>;
      try {
        actionLine = JSON.parse(lines[i]) as typeof actionLine;
      } catch {
        return reply(res, 400, errorBody(400, 'json_parse_exception', `Unexpected character in action at line ${i + 1}`));
      }
      const action = Object.keys(actionLine)[0];
      if (!['index', 'create', 'update', 'delete'].includes(action)) {
        return reply(res, 400, errorBody(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${action}]`));
      }
      const meta = actionLine[action];
      const index = meta._index ?? pathIndex;
      if (!index) return reply(res, 400, errorBody(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;'));
      let source: unknown;
      let sourceError: ItemFailure | undefined;
      if (action !== 'delete') {
        i++;
        if (i >= lines.length) return reply(res, 400, errorBody(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'));
        try {
          source = JSON.parse(lines[i]);
        } catch {
          sourceError = { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse' };
        }
      }
      call.actions.push({ action, index, id: meta._id, source });
      const key = `${index}/${meta._id ?? ''}/${lines[i]}`;
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      let failure = sourceError ?? (action !== 'delete' ? failer?.({ index, id: meta._id, source, attempt }) : undefined);
      if (!failure && !ensureIndex(index)) failure = { status: 404, type: 'index_not_found_exception', reason: `no such index [${index}]` };
      if (!failure && action !== 'delete') failure = mapDocument(index, source);
      const docs = store.get(index);
      const id = meta._id ?? randomBytes(15).toString('base64url').slice(0, 20);
      if (!failure && action === 'create' && docs?.has(id)) {
        failure = { status: 409, type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists` };
      }
      if (failure) {
        call.statuses.push(failure.status);
        items.push({ [action]: { _index: index, _id: id, status: failure.status, error: { type: failure.type, reason: failure.reason, index } } });
        continue;
      }
      const existing = docs!.get(id);
      let status: number;
      let result: string;
      if (action === 'delete') {
        status = existing ? 200 : 404;
        result = existing ? 'deleted' : 'not_found';
        docs!.delete(id);
      } else {
        status = existing ? 200 : 201;
        result = existing ? 'updated' : 'created';
        docs!.set(id, { source, version: (existing?.version ?? 0) + 1 });
      }
      call.statuses.push(status);
      items.push({ [action]: { _index: index, _id: id, _version: docs!.get(id)?.version ?? 1, result, _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: seqNo++, _primary_term: 1, status } });
    }
    bulkCalls.push(call);
    reply(res, 200, { took: Date.now() - started, errors: call.statuses.some((s) => s >= 300), items });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (down) return reply(res, 503, errorBody(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master];'));
    if (opts.users) {
      const auth = req.headers.authorization ?? '';
      const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
      if (!user || opts.users[user] !== pass) {
        return reply(res, 401, errorBody(401, 'security_exception', 'missing authentication credentials for REST request'), { 'www-authenticate': 'Basic realm="OpenSearch Security"' });
      }
    }
    const url = new URL(req.url ?? '/', 'http://os');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts.length === 0) {
      return reply(res, 200, { name: 'double-node', cluster_name: 'hydrant-test', cluster_uuid: 'x', version: { distribution: 'opensearch', number: '2.11.0', lucene_version: '9.7.0' }, tagline: 'The OpenSearch Project: https://opensearch.org/' });
    }
    if ((req.method === 'POST' || req.method === 'PUT') && parts.at(-1) === '_bulk' && parts.length <= 2 && misbehave.length > 0) {
      if (misbehave.shift() === 'reset') req.socket.destroy();
      return; // a hanging request is ended by stop()
    }
    if ((req.method === 'POST' || req.method === 'PUT') && parts.at(-1) === '_bulk' && parts.length <= 2) return bulk(req, res, body, parts.length === 2 ? parts[0] : undefined);
    if (req.method === 'PUT' && parts.length === 1) {
      if (store.has(parts[0])) return reply(res, 400, errorBody(400, 'resource_already_exists_exception', `index [${parts[0]}] already exists`));
      store.set(parts[0], new Map());
      mappings.set(parts[0], new Map());
      return reply(res, 200, { acknowledged: true, shards_acknowledged: true, index: parts[0] });
    }
    if (req.method === 'HEAD' && parts.length === 1) {
      res.writeHead(store.has(parts[0]) ? 200 : 404, { 'content-length': 0 });
      return res.end();
    }
    if (req.method === 'GET' && parts.length === 3 && parts[1] === '_doc') {
      const doc = store.get(parts[0])?.get(parts[2]);
      if (!store.has(parts[0])) return reply(res, 404, errorBody(404, 'index_not_found_exception', `no such index [${parts[0]}]`));
      return reply(res, doc ? 200 : 404, doc ? { _index: parts[0], _id: parts[2], _version: doc.version, found: true, _source: doc.source } : { _index: parts[0], _id: parts[2], found: false });
    }
    reply(res, 400, errorBody(400, 'illegal_argument_exception', `no handler found for uri [${url.pathname}] and method [${req.method}]`));
  };

  const http = await serveDouble((req, res, body) => handle(req, res, body.toString('utf8')));
  return {
    url: http.origin,
    documents: (index) => store.get(index) ?? new Map(),
    indices: () => [...store.keys()].sort(),
    bulkCalls,
    failItems: (fn) => (failer = fn),
    throttleNext: (n) => (throttle = n),
    autoCreate: (on) => (create = on),
    unavailable: (on) => (down = on),
    misbehaveNext: (...how) => misbehave.push(...how),
    stop: http.stop,
  };
}
