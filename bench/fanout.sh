#!/usr/bin/env bash
# The fan-out benchmark: the receiver jar in its own JVM on an embedded Postgres, 10 local
# subscribers registered for market.event through the admin API, signed market-event pushes
# (no claim check) at 100 events/s, the same subscribers hit directly by wrk and by a Vert.x
# client (the baseline), then pushes as fast as they go. 4 to 10 minutes on 2 cores (longer
# when the fan-out falls behind: each phase waits up to BENCH_DRAIN_SECONDS for its deliveries).
# A measurement, not a test: it reports against the targets and never fails on a number.
#
#   bench/fanout.sh                          build (skip with BENCH_NO_BUILD=1), then run
#   OMS_DELIVERY_POLL_INTERVAL=20ms bench/fanout.sh   a receiver setting; see bench/FANOUT.md
#
# Results: printed, and written to bench/results/fanout-<date>.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

wrk="${WRK:-/usr/bin/wrk}"
if [[ "${BENCH_DIRECT_TOOL:-both}" != "vertx" && ! -x "$wrk" ]]; then
  echo "wrk is missing: installing it (Debian package wrk)" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk; } >&2; then
    echo "could not install wrk: the baseline uses the Vert.x client only" >&2
  fi
fi

if [[ "${BENCH_NO_BUILD:-0}" != "1" ]]; then
  ./mvnw -q -DskipTests package
fi

# Run from copies of the jars: a build started elsewhere during the run (another bench, the
# tests) rewrites target/ and would pull classes from under both JVMs.
receiver_jar="${BENCH_RECEIVER_JAR:-$root/receiver/target/oms-receiver.jar}"
snap="$(mktemp -d "${TMPDIR:-/tmp}/oms-fanout-jars-XXXXXX")"
trap 'rm -rf "$snap"' EXIT
cp "$receiver_jar" "$snap/oms-receiver.jar"
cp "$root/bench/target/oms-bench.jar" "$snap/oms-bench.jar"
if [[ -z "${BENCH_RECEIVER_JAR:-}" ]]; then
  export BENCH_RECEIVER_JAR_LABEL="receiver/target/oms-receiver.jar"
else
  export BENCH_RECEIVER_JAR_LABEL="$BENCH_RECEIVER_JAR"
fi
export BENCH_RECEIVER_JAR="$snap/oms-receiver.jar"

java -Xmx2g -DOMS_LOG_LEVEL=WARN \
  -cp "$snap/oms-receiver.jar:$snap/oms-bench.jar" \
  org.omspush.bench.FanoutBench "$root"
