// Wiring checks for docker-compose.yml + Dockerfile. Each check returns a list of problems
// (empty when the wiring is right), so tests can run them on the real files and on broken
// copies alike.
import {
  effectiveCommand, flagValue, imageRepository, parseServices,
  type Argv, type Dockerfile, type Service,
} from './compose-model.js';

/** Ports a container of each image listens on by default (compose network side). */
const IMAGE_PORTS: Record<string, number[]> = {
  'minio/minio': [9000],
  'minio/mc': [],
  postgres: [5432],
  redis: [6379],
  'opensearchproject/opensearch': [9200, 9600],
};

const URL_DEFAULT_PORTS: Record<string, number> = {
  'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432,
};

export interface Project {
  services: Map<string, Service>;
  dockerfile: Dockerfile;
  namedVolumes: string[];
}

export function loadProject(compose: unknown, dockerfile: Dockerfile): Project {
  const volumes = (compose as { volumes?: Record<string, unknown> } | null)?.volumes;
  return { services: parseServices(compose), dockerfile, namedVolumes: Object.keys(volumes ?? {}) };
}

function imageOf(service: Service, project: Project): Dockerfile | undefined {
  return service.build ? project.dockerfile : undefined;
}

function commandOf(service: Service, project: Project): Argv {
  return effectiveCommand(service, imageOf(service, project));
}

function portOfAddress(address: string | undefined): number | undefined {
  return address === undefined ? undefined : Number(address.slice(address.lastIndexOf(':') + 1));
}

/** MinIO's S3 API port: `--address` in its command, 9000 by default. */
export function minioApiPort(service: Service, project: Project): number {
  return portOfAddress(flagValue(commandOf(service, project), '--address')) ?? IMAGE_PORTS['minio/minio'][0];
}

/** Ports the service's container listens on, from the image table and its own command. */
export function listeningPorts(service: Service, project: Project): number[] {
  const argv = commandOf(service, project);
  if (service.build) {
    const port = flagValue(argv, '--port');
    return port === undefined ? [] : [Number(port)];
  }
  const repo = imageRepository(service.image ?? '');
  const ports = new Set(IMAGE_PORTS[repo] ?? []);
  if (repo === 'minio/minio') {
    ports.clear();
    ports.add(minioApiPort(service, project));
    const consolePort = portOfAddress(flagValue(argv, '--console-address'));
    if (consolePort !== undefined) ports.add(consolePort);
  }
  if (repo === 'redis') {
    const port = flagValue(argv, '--port');
    if (port !== undefined) { ports.clear(); ports.add(Number(port)); }
  }
  return [...ports];
}

function healthcheckOf(service: Service, project: Project): Argv | undefined {
  return service.healthcheck ?? imageOf(service, project)?.healthcheck;
}

export function checkServices(project: Project): string[] {
  const problems: string[] = [];
  if (project.services.size === 0) problems.push('no services');
  for (const service of project.services.values()) {
    if (!service.image && !service.build) problems.push(`${service.name}: neither image nor build`);
    if (service.image && !service.build && !(imageRepository(service.image) in IMAGE_PORTS)) {
      problems.push(`${service.name}: image ${service.image} missing from the IMAGE_PORTS table`);
    }
    for (const volume of service.volumeTargets) {
      const named = volume.source !== '' && !/^[./~]/.test(volume.source);
      if (named && !project.namedVolumes.includes(volume.source)) {
        problems.push(`${service.name}: volume ${volume.source} is not declared under top-level volumes`);
      }
    }
    for (const port of service.ports) {
      if (!listeningPorts(service, project).includes(port.container)) {
        problems.push(`${service.name}: publishes container port ${port.container}, which it does not listen on`);
      }
    }
  }
  return problems;
}

export function checkDependencies(project: Project): string[] {
  const problems: string[] = [];
  for (const service of project.services.values()) {
    for (const dep of service.dependsOn) {
      const target = project.services.get(dep.service);
      if (!target) {
        problems.push(`${service.name}: depends on missing service ${dep.service}`);
        continue;
      }
      if (dep.condition === 'service_healthy' && !healthcheckOf(target, project)) {
        problems.push(`${service.name}: waits for ${dep.service} to be healthy, but it has no healthcheck`);
      }
      if (dep.condition === 'service_completed_successfully' && target.restart && target.restart !== 'no') {
        problems.push(`${service.name}: waits for ${dep.service} to complete, but it restarts (${target.restart})`);
      }
    }
  }
  return problems;
}

/** Every URL in `from`'s environment names a service, at a port it listens on, that it depends on. */
export function checkUrlWiring(project: Project, from: string): string[] {
  const problems: string[] = [];
  const service = project.services.get(from);
  if (!service) return [`${from}: missing`];
  for (const [key, value] of Object.entries(service.environment)) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
    const url = new URL(value);
    const target = project.services.get(url.hostname);
    if (!target) {
      problems.push(`${from}.${key}=${value}: no service named ${url.hostname}`);
      continue;
    }
    const port = url.port === '' ? URL_DEFAULT_PORTS[url.protocol] : Number(url.port);
    const ports = listeningPorts(target, project);
    if (!ports.includes(port)) {
      problems.push(`${from}.${key}=${value}: ${url.hostname} listens on ${ports.join(', ') || 'nothing'}, not ${port}`);
    }
    if (!service.dependsOn.some((d) => d.service === url.hostname)) {
      problems.push(`${from}.${key}: does not depend_on ${url.hostname}`);
    }
  }
  return problems;
}

function serviceOfImage(project: Project, repo: string): Service | undefined {
  return [...project.services.values()].find((s) => s.image !== undefined && imageRepository(s.image) === repo);
}

/** Hydrant's environment points each backend variable at the right kind of service. */
export function checkHydrantEnvironment(project: Project): string[] {
  const problems: string[] = [];
  const hydrant = project.services.get('hydrant');
  if (!hydrant) return ['hydrant: missing'];
  const env = hydrant.environment;
  const expectHost = (key: string, repo: string): URL | undefined => {
    const target = serviceOfImage(project, repo);
    if (env[key] === undefined) { problems.push(`hydrant: ${key} is not set`); return undefined; }
    const url = new URL(env[key]);
    if (!target || url.hostname !== target.name) problems.push(`hydrant: ${key} does not point at the ${repo} service`);
    return url;
  };
  const minio = serviceOfImage(project, 'minio/minio');
  const s3 = expectHost('AWS_ENDPOINT_URL_S3', 'minio/minio');
  if (s3 && minio && Number(s3.port || 80) !== minioApiPort(minio, project)) {
    problems.push(`hydrant: AWS_ENDPOINT_URL_S3 uses port ${s3.port || 80}, not MinIO's S3 API port ${minioApiPort(minio, project)}`);
  }
  if (env.AWS_ACCESS_KEY_ID !== minio?.environment.MINIO_ROOT_USER) problems.push('hydrant: AWS_ACCESS_KEY_ID is not MinIO\'s root user');
  if (env.AWS_SECRET_ACCESS_KEY !== minio?.environment.MINIO_ROOT_PASSWORD) problems.push('hydrant: AWS_SECRET_ACCESS_KEY is not MinIO\'s root password');
  if (!env.AWS_REGION) problems.push('hydrant: AWS_REGION is not set');
  expectHost('HYDRANT_REDIS_URL', 'redis');
  expectHost('HYDRANT_OPENSEARCH_URL', 'opensearchproject/opensearch');
  const pg = expectHost('HYDRANT_POSTGRES_URL', 'postgres');
  const pgEnv = serviceOfImage(project, 'postgres')?.environment ?? {};
  if (pg) {
    if (decodeURIComponent(pg.username) !== (pgEnv.POSTGRES_USER ?? 'postgres')) problems.push('hydrant: PostgreSQL user differs from POSTGRES_USER');
    if (decodeURIComponent(pg.password) !== pgEnv.POSTGRES_PASSWORD) problems.push('hydrant: PostgreSQL password differs from POSTGRES_PASSWORD');
    if (pg.pathname.slice(1) !== (pgEnv.POSTGRES_DB ?? pgEnv.POSTGRES_USER ?? 'postgres')) problems.push('hydrant: PostgreSQL database differs from POSTGRES_DB');
  }
  return problems;
}

/** minio-init runs `mc mb <alias>/<bucket>` against MinIO with its root credentials; hydrant waits. */
export function checkMinioInit(project: Project): string[] {
  const problems: string[] = [];
  const init = project.services.get('minio-init');
  const minio = serviceOfImage(project, 'minio/minio');
  const hydrant = project.services.get('hydrant');
  if (!init || !minio || !hydrant) return ['minio-init, a minio/minio service and hydrant must all exist'];
  const conditionOf = (name: string): string | undefined => hydrant.dependsOn.find((d) => d.service === name)?.condition;
  if (conditionOf('minio-init') !== 'service_completed_successfully') problems.push('hydrant: does not wait for minio-init to complete');
  if (conditionOf(minio.name) !== 'service_healthy') problems.push('hydrant: does not wait for minio to be healthy');
  if (!init.dependsOn.some((d) => d.service === minio.name && d.condition === 'service_healthy')) {
    problems.push('minio-init: does not wait for minio to be healthy');
  }
  const argv = commandOf(init, project);
  const words = argv.join(' ');
  const mb = /(?:^|\s|&&\s*)mc\s+mb\s+(?:--?[\w-]+\s+)*([\w.-]+)\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\s|$)/.exec(words);
  if (!mb) return [...problems, `minio-init: command does not create a bucket with mc mb: ${words}`];
  const alias = mb[1];
  const aliasUrl = init.environment[`MC_HOST_${alias}`]
    ?? /mc\s+alias\s+set\s+(\S+)\s+(\S+)/.exec(words)?.[2];
  if (!aliasUrl) return [...problems, `minio-init: alias ${alias} is not defined (MC_HOST_${alias} or mc alias set)`];
  const url = new URL(aliasUrl);
  if (url.hostname !== minio.name || Number(url.port || 80) !== minioApiPort(minio, project)) {
    problems.push(`minio-init: alias ${alias} (${url.host}) is not MinIO's API endpoint`);
  }
  if (url.username && (decodeURIComponent(url.username) !== minio.environment.MINIO_ROOT_USER
      || decodeURIComponent(url.password) !== minio.environment.MINIO_ROOT_PASSWORD)) {
    problems.push(`minio-init: alias ${alias} credentials are not MinIO's root user/password`);
  }
  return problems;
}

/** Hydrant serves on all interfaces, on the published port, with /data on a volume, and its
 * healthcheck asks GET /health on that port using a binary the image has. */
export function checkHydrantServe(project: Project): string[] {
  const problems: string[] = [];
  const hydrant = project.services.get('hydrant');
  if (!hydrant) return ['hydrant: missing'];
  if (!hydrant.build) problems.push('hydrant: not built from the repository Dockerfile');
  const argv = commandOf(hydrant, project);
  if (!argv.includes('serve')) problems.push(`hydrant: command does not run serve: ${argv.join(' ')}`);
  if (!argv.some((a) => /(^|\/)hydrant(\.js)?$/.test(a))) problems.push('hydrant: command does not run bin/hydrant.js');
  if (flagValue(argv, '--host') !== '0.0.0.0') problems.push('hydrant: does not listen on 0.0.0.0 (unreachable from outside the container)');
  const port = Number(flagValue(argv, '--port'));
  if (!hydrant.ports.some((p) => p.container === port && p.host !== undefined)) problems.push(`hydrant: serve port ${port} is not published`);
  if (!project.dockerfile.expose.includes(port)) problems.push(`Dockerfile: does not EXPOSE ${port}`);
  const dataDir = flagValue(argv, '--data-dir');
  if (!hydrant.volumeTargets.some((v) => v.target === dataDir)) problems.push(`hydrant: data dir ${dataDir} is not on a volume`);
  if (!/^node:20-slim\b/.test(project.dockerfile.baseImage)) problems.push(`Dockerfile: final stage is ${project.dockerfile.baseImage}, not node:20-slim`);
  const check = healthcheckOf(hydrant, project);
  const url = check?.join(' ').match(/https?:\/\/[^\s'"`]+/)?.[0];
  if (!check || !url) return [...problems, 'hydrant: healthcheck does not request a URL'];
  const target = new URL(url);
  if (Number(target.port || 80) !== port) problems.push(`hydrant: healthcheck hits port ${target.port}, serve port is ${port}`);
  if (target.pathname !== '/health') problems.push(`hydrant: healthcheck hits ${target.pathname}, not /health`);
  if (!['localhost', '127.0.0.1'].includes(target.hostname)) problems.push(`hydrant: healthcheck hits ${target.hostname}, not the container itself`);
  const binary = check[0] === 'CMD' || check[0] === 'CMD-SHELL' ? check[1] : check[0];
  if (['curl', 'wget'].includes(binary)) problems.push(`hydrant: healthcheck uses ${binary}, which node:20-slim lacks`);
  return problems;
}

/** Redis fsyncs every write; OpenSearch is single-node, without security, with bounded memory. */
export function checkBackends(project: Project): string[] {
  const problems: string[] = [];
  const redis = serviceOfImage(project, 'redis');
  const redisArgv = redis ? commandOf(redis, project) : [];
  if (flagValue(redisArgv, '--appendonly') !== 'yes') problems.push('redis: --appendonly yes missing');
  if (flagValue(redisArgv, '--appendfsync') !== 'always') problems.push('redis: --appendfsync always missing');
  const os = serviceOfImage(project, 'opensearchproject/opensearch');
  if (!os) return [...problems, 'opensearch: missing'];
  if (os.environment['discovery.type'] !== 'single-node') problems.push('opensearch: not single-node');
  if (os.environment.DISABLE_SECURITY_PLUGIN !== 'true') problems.push('opensearch: security plugin enabled');
  const deploy = os.raw.deploy as { resources?: { limits?: { memory?: string } } } | undefined;
  const limit = String(os.raw.mem_limit ?? deploy?.resources?.limits?.memory ?? '');
  const bytes = (text: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
    return m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  };
  const heap = /-Xmx(\S+)/.exec(os.environment.OPENSEARCH_JAVA_OPTS ?? '')?.[1];
  if (!limit) problems.push('opensearch: no memory limit');
  else if (!heap || !(bytes(heap) < bytes(limit))) problems.push(`opensearch: heap (-Xmx${heap}) must be set and below the memory limit ${limit}`);
  return problems;
}

/**
 * The `cluster` profile's nodes: each runs `serve --backend redis` on 0.0.0.0 with its own
 * published port and data volume, points `--redis-url` at the redis service (waiting for it to
 * be healthy), and all of them share one key prefix (one deployment) and hydrant's S3 settings.
 */
export function checkClusterNodes(project: Project): string[] {
  const problems: string[] = [];
  const nodes = [...project.services.values()].filter((s) => flagValue(commandOf(s, project), '--backend') === 'redis');
  if (nodes.length < 2) return [`cluster: ${nodes.length} service(s) run --backend redis; a cluster needs at least 2`];
  const redis = serviceOfImage(project, 'redis');
  const prefixes = new Set<string>();
  const hostPorts = new Map<number, string>();
  const s3 = project.services.get('hydrant')?.environment ?? {};
  for (const node of nodes) {
    const argv = commandOf(node, project);
    const at = `${node.name}:`;
    if (!node.build) problems.push(`${at} not built from the repository Dockerfile`);
    if (!argv.includes('serve')) problems.push(`${at} command does not run serve`);
    if (flagValue(argv, '--host') !== '0.0.0.0') problems.push(`${at} does not listen on 0.0.0.0`);
    const port = Number(flagValue(argv, '--port'));
    const published = node.ports.find((p) => p.container === port && p.host !== undefined);
    if (!published) problems.push(`${at} serve port ${port} is not published`);
    else if (hostPorts.has(published.host!)) problems.push(`${at} host port ${published.host} is also ${hostPorts.get(published.host!)}'s`);
    else hostPorts.set(published.host!, node.name);
    const dataDir = flagValue(argv, '--data-dir');
    if (!node.volumeTargets.some((v) => v.target === dataDir)) problems.push(`${at} data dir ${dataDir} is not on a volume`);
    const url = flagValue(argv, '--redis-url');
    if (!url) problems.push(`${at} no --redis-url`);
    else {
      const target = new URL(url);
      if (!redis || target.hostname !== redis.name) problems.push(`${at} --redis-url ${url} does not point at the redis service`);
      else if (!listeningPorts(redis, project).includes(Number(target.port || 6379))) problems.push(`${at} --redis-url ${url}: redis does not listen on ${target.port}`);
      if (!node.dependsOn.some((d) => d.service === target.hostname && d.condition === 'service_healthy')) problems.push(`${at} does not wait for ${target.hostname} to be healthy`);
    }
    prefixes.add(flagValue(argv, '--redis-key-prefix') ?? 'hydrant');
    for (const key of ['AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (node.environment[key] !== s3[key]) problems.push(`${at} ${key} differs from hydrant's`);
    }
  }
  if (prefixes.size > 1) problems.push(`cluster: nodes use different key prefixes (${[...prefixes].join(', ')}): they would be separate deployments`);
  return problems;
}
