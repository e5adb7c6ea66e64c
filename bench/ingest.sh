#!/usr/bin/env bash
# The ingest benchmark: pgbench single-row inserts vs. the receiver's signed pushes on one
# embedded Postgres, then 500 pushes/s, then 32 x 5 MB into -Xmx256m. About 5 minutes on 2 cores.
# A measurement, not a test: it reports against the targets and never fails on a number.
#
#   bench/ingest.sh              build (skip with BENCH_NO_BUILD=1), then run
#   BENCH_SECONDS=10 bench/ingest.sh     shorter windows; see bench/README.md for all settings
#
# Results: printed, and written to bench/results/ingest-<date>.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [[ ! -x "${PGBENCH:-/usr/bin/pgbench}" ]]; then
  echo "pgbench is missing: installing postgresql-client" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y postgresql-client
fi

if [[ "${BENCH_NO_BUILD:-0}" != "1" ]]; then
  ./mvnw -q -DskipTests package
fi

exec java -Xmx2g -DOMS_LOG_LEVEL=WARN \
  -cp "$root/receiver/target/oms-receiver.jar:$root/bench/target/oms-bench.jar" \
  org.omspush.bench.IngestBench "$root"
