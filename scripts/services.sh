#!/usr/bin/env bash
# Make sure the services the tests need answer on localhost:
#   PostgreSQL 127.0.0.1:5432 (checked with `pg_isready -h 127.0.0.1`)
#   Redis      127.0.0.1:6379 (checked with `redis-cli -h 127.0.0.1 ping`)
# A service that does not answer is started; one that is not installed is installed with
# apt-get first (see /work/shared/ci-services.md). Silent when everything already answers;
# exits non-zero with a clear message when a service still does not answer after the wait.
#
# Environment:
#   SERVICES_WAIT_SECONDS  how long to wait for each service after starting it (default 30)
set -euo pipefail

WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-30}"
APT_UPDATED=0

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through passwordless sudo otherwise.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "need root to run: $* (not root and no passwordless sudo)"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "cannot install $*: apt-get not found"
  if [[ "$APT_UPDATED" -eq 0 ]]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null
}

# wait_until NAME CHECK_FUNCTION: poll CHECK_FUNCTION once a second for up to WAIT_SECONDS.
wait_until() {
  local name="$1" check="$2" waited=0
  until "$check"; do
    if (( waited >= WAIT_SECONDS )); then
      die "$name still does not answer after ${WAIT_SECONDS}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "$name is up (after ${waited}s)"
}

# ---------------------------------------------------------------- PostgreSQL
pg_answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

pg_versions() { ls /etc/postgresql 2>/dev/null | sort -V; }

# A fresh apt install uses peer/scram auth; the CI machines use trust auth for local and
# loopback connections and have the databases `test` and `root` (ci-services.md). Only done
# right after we installed PostgreSQL ourselves, never on an existing server.
pg_configure_fresh_install() {
  local version hba
  version="$(pg_versions | tail -n 1)"
  hba="/etc/postgresql/${version}/main/pg_hba.conf"
  [[ -f "$hba" ]] || die "PostgreSQL installed but $hba is missing"
  log "configuring trust auth in $hba (fresh install)"
  as_root sed -i -E 's/^(local|host)(\s+all\s+all\s+.*\s)(peer|md5|scram-sha-256)\s*$/\1\2trust/' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  as_root su postgres -c "psql -h 127.0.0.1 -qc 'CREATE ROLE root SUPERUSER LOGIN'" </dev/null || true
  as_root su postgres -c "createdb -h 127.0.0.1 test" </dev/null || true
  as_root su postgres -c "createdb -h 127.0.0.1 -O root root" </dev/null || true
}

ensure_postgres() {
  pg_answers && return 0
  local fresh=0
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1 \
     || [[ -z "$(pg_versions)" ]]; then
    log "PostgreSQL is not installed"
    apt_install postgresql
    fresh=1
  fi
  local version
  version="$(pg_versions | tail -n 1)"
  [[ -n "$version" ]] || die "PostgreSQL installed but no cluster under /etc/postgresql"
  log "starting PostgreSQL $version (cluster main)"
  # `start` fails when the cluster is already running but not yet accepting connections;
  # the wait below decides whether that is a problem.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
    || log "pg_ctlcluster start returned non-zero; waiting anyway"
  wait_until "PostgreSQL (127.0.0.1:5432)" pg_answers
  if [[ "$fresh" -eq 1 ]]; then
    pg_configure_fresh_install
  fi
}

# --------------------------------------------------------------------- Redis
redis_answers() {
  command -v redis-cli >/dev/null 2>&1 \
    && [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == "PONG" ]]
}

ensure_redis() {
  redis_answers && return 0
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    log "Redis is not installed"
    apt_install redis-server
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  log "starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log \
    || log "redis-server returned non-zero; waiting anyway"
  wait_until "Redis (127.0.0.1:6379)" redis_answers
}

# ------------------------------------------------------- independent decoders
# The compression tests check every format with a decoder that is not Hydrant's: gzip, unzip
# and zstd, and Debian's python3-snappy (run with /usr/bin/python3) for the two Snappy formats.
tools_present() {
  command -v gzip >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 && command -v zstd >/dev/null 2>&1 \
    && [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import snappy' >/dev/null 2>&1
}

ensure_tools() {
  tools_present && return 0
  log "installing the independent decoders the compression tests use"
  apt_install gzip unzip zstd python3 python3-snappy
  tools_present || die "gzip, unzip, zstd or python3-snappy still missing after apt-get install"
}

ensure_postgres
ensure_redis
ensure_tools
