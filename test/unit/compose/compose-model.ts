// Reading docker-compose.yml and a Dockerfile the way Docker would, without a Docker engine:
// normalised services (environment, command, depends_on, ports, volumes) and the final
// stage's CMD / ENTRYPOINT / HEALTHCHECK / EXPOSE.

export type Argv = string[];

export interface Dependency {
  service: string;
  condition: string;
}

export interface PortMapping {
  host: number | undefined;
  container: number;
}

export interface Service {
  name: string;
  image: string | undefined;
  build: boolean;
  environment: Record<string, string>;
  entrypoint: Argv | undefined;
  command: Argv | undefined;
  dependsOn: Dependency[];
  ports: PortMapping[];
  volumeTargets: { source: string; target: string }[];
  healthcheck: Argv | undefined;
  restart: string | undefined;
  raw: Record<string, unknown>;
}

export interface Dockerfile {
  baseImage: string;
  entrypoint: Argv;
  cmd: Argv;
  healthcheck: Argv | undefined;
  expose: number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compose's `command` / `entrypoint` / healthcheck `test`: exec array or shell string. */
export function toArgv(value: unknown): Argv | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value).trim().split(/\s+/);
}

function toEnvironment(value: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item);
      const eq = text.indexOf('=');
      if (eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) env[key] = v === null ? '' : String(v);
  }
  return env;
}

function toDependencies(value: unknown): Dependency[] {
  if (Array.isArray(value)) return value.map((service) => ({ service: String(service), condition: 'service_started' }));
  if (!isRecord(value)) return [];
  return Object.entries(value).map(([service, spec]) => ({
    service,
    condition: isRecord(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started',
  }));
}

function toPorts(value: unknown): PortMapping[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    if (isRecord(item)) {
      return { host: item.published === undefined ? undefined : Number(item.published), container: Number(item.target) };
    }
    const parts = String(item).replace(/\/(tcp|udp)$/, '').split(':');
    const container = Number(parts[parts.length - 1]);
    const host = parts.length > 1 ? Number(parts[parts.length - 2]) : undefined;
    return { host, container };
  });
}

function toVolumes(value: unknown): { source: string; target: string }[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    if (isRecord(item)) return { source: String(item.source ?? ''), target: String(item.target) };
    const [source, target] = String(item).split(':');
    return target === undefined ? { source: '', target: source } : { source, target };
  });
}

function toHealthcheck(value: unknown): Argv | undefined {
  if (!isRecord(value) || value.disable === true) return undefined;
  return toArgv(value.test);
}

export function parseServices(compose: unknown): Map<string, Service> {
  const services = new Map<string, Service>();
  if (!isRecord(compose) || !isRecord(compose.services)) return services;
  for (const [name, raw] of Object.entries(compose.services)) {
    const spec = isRecord(raw) ? raw : {};
    services.set(name, {
      name,
      image: typeof spec.image === 'string' ? spec.image : undefined,
      build: spec.build !== undefined,
      environment: toEnvironment(spec.environment),
      entrypoint: toArgv(spec.entrypoint),
      command: toArgv(spec.command),
      dependsOn: toDependencies(spec.depends_on),
      ports: toPorts(spec.ports),
      volumeTargets: toVolumes(spec.volumes),
      healthcheck: toHealthcheck(spec.healthcheck),
      restart: spec.restart === undefined ? undefined : String(spec.restart),
      raw: spec,
    });
  }
  return services;
}

/** `minio/minio:RELEASE...` → `minio/minio`; `docker.io/library/redis:7` → `redis`. */
export function imageRepository(image: string): string {
  const withoutTag = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  return withoutTag.replace(/^(docker\.io\/)?(library\/)?/, '').replace(/^quay\.io\//, '');
}

/** Value of `--flag value` or `--flag=value` in an argv. */
export function flagValue(argv: Argv, flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i].startsWith(`${flag}=`)) return argv[i].slice(flag.length + 1);
  }
  return undefined;
}

function parseInstructionArgs(rest: string): Argv {
  const trimmed = rest.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed)) return parsed.map(String);
  }
  return ['/bin/sh', '-c', trimmed];
}

/** The final stage of a Dockerfile (continuations joined, comments dropped). */
export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.trimEnd().endsWith('\\')) {
      current += line.trimEnd().slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  let stage: Dockerfile = { baseImage: '', entrypoint: [], cmd: [], healthcheck: undefined, expose: [] };
  let cmdSetInStage = false;
  for (const instruction of logical) {
    const match = /^(\w+)\s+(.*)$/.exec(instruction);
    if (!match) continue;
    const [, keyword, rest] = match;
    switch (keyword.toUpperCase()) {
      case 'FROM':
        stage = { baseImage: rest.split(/\s+/)[0], entrypoint: [], cmd: [], healthcheck: undefined, expose: [] };
        cmdSetInStage = false;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = parseInstructionArgs(rest);
        if (!cmdSetInStage) stage.cmd = []; // ENTRYPOINT resets a CMD not set in this stage
        break;
      case 'CMD':
        stage.cmd = parseInstructionArgs(rest);
        cmdSetInStage = true;
        break;
      case 'EXPOSE':
        stage.expose.push(...rest.split(/\s+/).map((p) => Number(p.replace(/\/(tcp|udp)$/, ''))));
        break;
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(.*)$/.exec(rest);
        stage.healthcheck = cmd ? parseInstructionArgs(cmd[1]) : undefined;
        break;
      }
    }
  }
  return stage;
}

/** What a container of this service runs: compose entrypoint/command over the image's. */
export function effectiveCommand(service: Service, image: Dockerfile | undefined): Argv {
  if (service.entrypoint) return [...service.entrypoint, ...(service.command ?? [])];
  return [...(image?.entrypoint ?? []), ...(service.command ?? image?.cmd ?? [])];
}
