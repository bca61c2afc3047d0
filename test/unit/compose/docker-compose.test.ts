// docker-compose.yml and the Dockerfile, checked by reading them (no Docker engine here).
// Each check also runs on a deliberately broken copy, to prove it notices the breakage.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  checkBackends, checkClusterNodes, checkDependencies, checkHydrantEnvironment, checkHydrantServe, checkMinioInit,
  checkServices, checkUrlWiring, listeningPorts, loadProject, type Project,
} from './compose-checks.js';
import { parseDockerfile } from './compose-model.js';

const root = join(import.meta.dirname, '..', '..', '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const dockerfileText = readFileSync(join(root, 'Dockerfile'), 'utf8');

type Doc = { services: Record<string, Record<string, unknown>>; [key: string]: unknown };

/** A fresh copy of the parsed compose file, optionally broken by `mutate`. */
function project(mutate?: (doc: Doc) => void, dockerfile = dockerfileText): Project {
  const doc = parse(composeText) as Doc;
  mutate?.(doc);
  return loadProject(doc, parseDockerfile(dockerfile));
}

function env(doc: Doc, service: string): Record<string, string> {
  return doc.services[service].environment as Record<string, string>;
}

describe('docker-compose.yml', () => {
  it('parses, with the expected services and published ports', () => {
    const p = project();
    expect([...p.services.keys()].sort()).toEqual(['hydrant', 'hydrant-node-a', 'hydrant-node-b', 'minio', 'minio-init', 'opensearch', 'postgres', 'redis']);
    const published = [...p.services.values()].flatMap((s) => s.ports.map((port) => port.host));
    expect(published.sort()).toEqual([4573, 4574, 4575, 9000, 9001]);
  });

  it('derives listening ports from image and command', () => {
    const p = project();
    expect(listeningPorts(p.services.get('minio')!, p).sort()).toEqual([9000, 9001]);
    expect(listeningPorts(p.services.get('hydrant')!, p)).toEqual([4573]);
    expect(listeningPorts(p.services.get('redis')!, p)).toEqual([6379]);
  });

  it('every service has an image or a build, declared volumes, and listens where it publishes', () => {
    expect(checkServices(project())).toEqual([]);
    expect(checkServices(project((d) => { delete d.services.redis.image; }))).toEqual(['redis: neither image nor build']);
    expect(checkServices(project((d) => { delete (d.volumes as Record<string, unknown>)['minio-data']; })))
      .toEqual(['minio: volume minio-data is not declared under top-level volumes']);
    expect(checkServices(project((d) => { d.services.minio.command = ['server', '/data']; })))
      .toEqual(['minio: publishes container port 9001, which it does not listen on']);
  });

  it('depends_on targets exist, have healthchecks when waited on, and init jobs do not restart', () => {
    expect(checkDependencies(project())).toEqual([]);
    expect(checkDependencies(project((d) => { delete d.services.minio.healthcheck; })))
      .toEqual(expect.arrayContaining(['hydrant: waits for minio to be healthy, but it has no healthcheck']));
    expect(checkDependencies(project((d) => { d.services['minio-init'].restart = 'always'; })))
      .toEqual(['hydrant', 'hydrant-node-a', 'hydrant-node-b'].map((n) => `${n}: waits for minio-init to complete, but it restarts (always)`));
    expect(checkDependencies(project((d) => { delete d.services.postgres; })))
      .toEqual(['hydrant: depends on missing service postgres']);
  });

  it('every URL in hydrant\'s environment names a service, a port it listens on, and a dependency', () => {
    expect(checkUrlWiring(project(), 'hydrant')).toEqual([]);
    expect(checkUrlWiring(project((d) => { env(d, 'hydrant').AWS_ENDPOINT_URL_S3 = 'http://minio:9002'; }), 'hydrant'))
      .toEqual(['hydrant.AWS_ENDPOINT_URL_S3=http://minio:9002: minio listens on 9000, 9001, not 9002']);
    expect(checkUrlWiring(project((d) => { env(d, 'hydrant').HYDRANT_REDIS_URL = 'redis://redis:6380'; }), 'hydrant'))
      .toEqual(['hydrant.HYDRANT_REDIS_URL=redis://redis:6380: redis listens on 6379, not 6380']);
    expect(checkUrlWiring(project((d) => { env(d, 'hydrant').HYDRANT_OPENSEARCH_URL = 'http://elastic:9200'; }), 'hydrant'))
      .toEqual(['hydrant.HYDRANT_OPENSEARCH_URL=http://elastic:9200: no service named elastic']);
    expect(checkUrlWiring(project((d) => { env(d, 'hydrant').HYDRANT_OPENSEARCH_URL = 'http://opensearch'; }), 'hydrant'))
      .toEqual(['hydrant.HYDRANT_OPENSEARCH_URL=http://opensearch: opensearch listens on 9200, 9600, not 80']);
    expect(checkUrlWiring(project((d) => { delete (d.services.hydrant.depends_on as Record<string, unknown>).redis; }), 'hydrant'))
      .toEqual(['hydrant.HYDRANT_REDIS_URL: does not depend_on redis']);
  });

  it('hydrant\'s S3, Redis, PostgreSQL and OpenSearch variables point at the right services and credentials', () => {
    expect(checkHydrantEnvironment(project())).toEqual([]);
    expect(checkHydrantEnvironment(project((d) => { env(d, 'hydrant').AWS_ENDPOINT_URL_S3 = 'http://minio:9001'; })))
      .toEqual(['hydrant: AWS_ENDPOINT_URL_S3 uses port 9001, not MinIO\'s S3 API port 9000']);
    expect(checkHydrantEnvironment(project((d) => { env(d, 'minio').MINIO_ROOT_PASSWORD = 'changed'; })))
      .toEqual(['hydrant: AWS_SECRET_ACCESS_KEY is not MinIO\'s root password']);
    expect(checkHydrantEnvironment(project((d) => { env(d, 'postgres').POSTGRES_PASSWORD = 'changed'; })))
      .toEqual(['hydrant: PostgreSQL password differs from POSTGRES_PASSWORD']);
    expect(checkHydrantEnvironment(project((d) => { env(d, 'postgres').POSTGRES_DB = 'other'; })))
      .toEqual(['hydrant: PostgreSQL database differs from POSTGRES_DB']);
    expect(checkHydrantEnvironment(project((d) => { env(d, 'hydrant').HYDRANT_REDIS_URL = 'redis://postgres:5432'; })))
      .toEqual(['hydrant: HYDRANT_REDIS_URL does not point at the redis service']);
    expect(checkHydrantEnvironment(project((d) => { delete env(d, 'hydrant').AWS_ENDPOINT_URL_S3; })))
      .toEqual(['hydrant: AWS_ENDPOINT_URL_S3 is not set']);
  });

  it('minio-init creates a bucket on MinIO with its credentials, and hydrant waits for it', () => {
    expect(checkMinioInit(project())).toEqual([]);
    expect(checkMinioInit(project((d) => { d.services['minio-init'].command = ['ls', 'local/hydrant']; })))
      .toEqual(['minio-init: command does not create a bucket with mc mb: mc ls local/hydrant']);
    expect(checkMinioInit(project((d) => { env(d, 'minio-init').MC_HOST_local = 'http://hydrant:wrong@minio:9000'; })))
      .toEqual(['minio-init: alias local credentials are not MinIO\'s root user/password']);
    expect(checkMinioInit(project((d) => { env(d, 'minio-init').MC_HOST_local = 'http://hydrant:hydrant-minio-secret@minio:9001'; })))
      .toEqual(['minio-init: alias local (minio:9001) is not MinIO\'s API endpoint']);
    expect(checkMinioInit(project((d) => { d.services.hydrant.depends_on = { minio: { condition: 'service_healthy' }, 'minio-init': { condition: 'service_started' } }; })))
      .toEqual(['hydrant: does not wait for minio-init to complete']);
    expect(checkMinioInit(project((d) => { delete (d.services.hydrant.depends_on as Record<string, unknown>).minio; })))
      .toEqual(['hydrant: does not wait for minio to be healthy']);
    // A shell-form init job is understood as well.
    expect(checkMinioInit(project((d) => {
      const init = d.services['minio-init'];
      init.environment = {};
      init.entrypoint = ['/bin/sh', '-c'];
      init.command = 'mc alias set local http://minio:9000 hydrant hydrant-minio-secret && mc mb -p local/hydrant';
    }))).toEqual([]);
  });

  it('hydrant serves on 0.0.0.0 at the published port, keeps /data on a volume, and its healthcheck hits /health there', () => {
    expect(checkHydrantServe(project())).toEqual([]);
    expect(checkHydrantServe(project((d) => { d.services.hydrant.ports = ['4574:4574']; })))
      .toEqual(['hydrant: serve port 4573 is not published']);
    expect(checkHydrantServe(project((d) => { delete d.services.hydrant.volumes; })))
      .toEqual(['hydrant: data dir /data is not on a volume']);
    expect(checkHydrantServe(project((d) => {
      d.services.hydrant.healthcheck = { test: ['CMD', 'curl', '-f', 'http://localhost:4573/health'] };
    }))).toEqual(['hydrant: healthcheck uses curl, which node:20-slim lacks']);
    expect(checkHydrantServe(project((d) => {
      d.services.hydrant.healthcheck = { test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:8080/healthz')"] };
    }))).toEqual(['hydrant: healthcheck hits port 8080, serve port is 4573', 'hydrant: healthcheck hits /healthz, not /health']);
    // A compose `command:` overrides the Dockerfile CMD.
    expect(checkHydrantServe(project((d) => { d.services.hydrant.command = ['serve', '--port', '4573', '--data-dir', '/data']; })))
      .toEqual(['hydrant: does not listen on 0.0.0.0 (unreachable from outside the container)']);
  });

  it('the cluster profile: two nodes of one Redis deployment, each on its own port and volume', () => {
    expect(checkClusterNodes(project())).toEqual([]);
    const node = (d: Doc, name: string) => d.services[name];
    expect(checkClusterNodes(project((d) => { node(d, 'hydrant-node-b').command = ['serve', '--host', '0.0.0.0', '--port', '4573', '--data-dir', '/data', '--backend', 'redis', '--redis-url', 'redis://redis:6379', '--redis-key-prefix', 'other']; })))
      .toEqual(['cluster: nodes use different key prefixes (compose, other): they would be separate deployments']);
    expect(checkClusterNodes(project((d) => { node(d, 'hydrant-node-b').ports = ['4574:4573']; })))
      .toEqual(["hydrant-node-b: host port 4574 is also hydrant-node-a's"]);
    expect(checkClusterNodes(project((d) => { node(d, 'hydrant-node-a').command = ['serve', '--host', '0.0.0.0', '--port', '4573', '--data-dir', '/data', '--backend', 'redis', '--redis-url', 'redis://postgres:6379', '--redis-key-prefix', 'compose']; })))
      .toEqual(['hydrant-node-a: --redis-url redis://postgres:6379 does not point at the redis service', 'hydrant-node-a: does not wait for postgres to be healthy']);
    expect(checkClusterNodes(project((d) => { delete (node(d, 'hydrant-node-a').depends_on as Record<string, unknown>).redis; })))
      .toEqual(expect.arrayContaining(['hydrant-node-a: does not wait for redis to be healthy']));
    expect(checkClusterNodes(project((d) => { node(d, 'hydrant-node-a').environment = { ...env(d, 'hydrant-node-a'), AWS_ENDPOINT_URL_S3: 'http://minio:9001' }; })))
      .toEqual(["hydrant-node-a: AWS_ENDPOINT_URL_S3 differs from hydrant's"]);
    expect(checkClusterNodes(project((d) => { delete d.services['hydrant-node-b']; })))
      .toEqual(['cluster: 1 service(s) run --backend redis; a cluster needs at least 2']);
  });

  it('Redis fsyncs every write; OpenSearch is single-node, open, and memory-bounded', () => {
    expect(checkBackends(project())).toEqual([]);
    expect(checkBackends(project((d) => { d.services.redis.command = ['redis-server', '--appendonly', 'yes']; })))
      .toEqual(['redis: --appendfsync always missing']);
    expect(checkBackends(project((d) => { delete d.services.opensearch.mem_limit; })))
      .toEqual(['opensearch: no memory limit']);
    expect(checkBackends(project((d) => { env(d, 'opensearch').OPENSEARCH_JAVA_OPTS = '-Xms2g -Xmx2g'; })))
      .toEqual(['opensearch: heap (-Xmx2g) must be set and below the memory limit 1g']);
  });
});

describe('Dockerfile', () => {
  it('exists, builds on node:20-slim, and runs serve on the compose port', () => {
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
    const dockerfile = parseDockerfile(dockerfileText);
    expect(dockerfile.baseImage).toBe('node:20-slim');
    expect([...dockerfile.entrypoint, ...dockerfile.cmd]).toEqual(
      ['node', 'bin/hydrant.js', 'serve', '--host', '0.0.0.0', '--port', '4573', '--data-dir', '/data']);
  });

  it('a changed port or a missing serve in the Dockerfile breaks the wiring', () => {
    const movedPort = dockerfileText.replace('"--port", "4573"', '"--port", "8080"');
    expect(movedPort).not.toBe(dockerfileText);
    expect(checkHydrantServe(project(undefined, movedPort))).toEqual(expect.arrayContaining([
      'hydrant: serve port 8080 is not published', 'Dockerfile: does not EXPOSE 8080',
    ]));
    expect(checkServices(project(undefined, movedPort)))
      .toEqual(['hydrant: publishes container port 4573, which it does not listen on']);
    const noServe = dockerfileText.replace(/^CMD .*$/m, 'CMD ["--help"]');
    expect(checkHydrantServe(project(undefined, noServe))).toEqual(expect.arrayContaining([
      'hydrant: command does not run serve: node bin/hydrant.js --help',
    ]));
  });

  it('reads shell-form CMD, continuations, and the last stage only', () => {
    const parsed = parseDockerfile('FROM node:20 AS build\nCMD ["x"]\nFROM node:20-slim\n# comment\nEXPOSE 1 \\\n  2/tcp\nCMD node bin/hydrant.js serve\n');
    expect(parsed).toMatchObject({ baseImage: 'node:20-slim', entrypoint: [], cmd: ['/bin/sh', '-c', 'node bin/hydrant.js serve'], expose: [1, 2] });
  });
});
