# Hydrant container image: `docker compose up` (see docker-compose.yml) or
#   docker build -t hydrant . && docker run -p 4573:4573 -v hydrant-data:/data hydrant

# ---- build: compile TypeScript with the dev dependencies --------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs tsc, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
# .dockerignore keeps node_modules, dist, data, tests and benchmarks out of the context.
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies, the compiled output and any assets next to it -----
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app ./
# The data directory (stream log, catalog, checkpoints) belongs to the unprivileged `node`
# user; a named volume mounted on /data starts out with this ownership.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4573
# node:20-slim has neither curl nor wget: Node's fetch does the health check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4573/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/hydrant.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4573", "--data-dir", "/data"]
