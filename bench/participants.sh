#!/usr/bin/env bash
# The participants benchmark: 500 participants, each with its own certificate in
# OMS_PARTICIPANTS_DIR, 4 outage changes each pushed at once into three replicas (separate JVMs on
# one Postgres), against the stand-in ISO with the real 5 s AUP. Reports the time until all 2,000
# claims are redeemed beside the floor (three gate intervals after the first call), the spread
# between the first and the last participant to finish, refusals and AUP violations, then CPU and
# transactions per second while the 500 participants sit idle. A measurement, not a test.
#
#   bench/participants.sh                         build (skip with BENCH_NO_BUILD=1), then run
#   BENCH_PARTICIPANTS=100 BENCH_CHANGES=4 BENCH_REPLICAS=3 BENCH_IDLE_SECONDS=60 BENCH_AUP_MS=5000
#
# Results: printed, and written to bench/results/participants-<date>.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [[ "${BENCH_NO_BUILD:-0}" != "1" ]]; then
  ./mvnw -q -DskipTests package
fi

# Run from copies of the jars: a build started elsewhere during the run rewrites target/.
snap="$(mktemp -d "${TMPDIR:-/tmp}/oms-participants-jars-XXXXXX")"
trap 'rm -rf "$snap"' EXIT
cp "${BENCH_RECEIVER_JAR:-$root/receiver/target/oms-receiver.jar}" "$snap/oms-receiver.jar"
cp "$root/bench/target/oms-bench.jar" "$snap/oms-bench.jar"
export BENCH_RECEIVER_JAR="$snap/oms-receiver.jar"

java -Xmx1g -cp "$snap/oms-receiver.jar:$snap/oms-bench.jar" org.omspush.bench.ParticipantsBench "$root"
