#!/usr/bin/env bash
# The redemption benchmark: with a backlog of outage claims on one retrieve service, how much of
# the ISO's AUP budget (12 calls a minute per certificate and service) the redemption worker uses,
# with 1 replica and then with 3 (separate JVMs on one Postgres), how many AUP violations the
# isosim counts, and the time from push to REDEEMED for 100 outages. About 13 minutes.
# A measurement, not a test: it reports against the targets and never fails on a number.
#
#   bench/redeem.sh                             build (skip with BENCH_NO_BUILD=1), then run
#   BENCH_REDEEM_SECONDS=60 bench/redeem.sh     shorter windows; see bench/REDEEM.md for all settings
#   BENCH_REDEEM_SCENARIO=maintenance bench/redeem.sh
#                                               the ISO down for BENCH_MAINTENANCE_MINUTES (30) under a steady
#                                               push stream, then back: claims lost, drain time, AUP share
#
# Results: printed, and written to bench/results/redeem-<date>.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [[ "${BENCH_NO_BUILD:-0}" != "1" ]]; then
  ./mvnw -q -DskipTests package
fi

# Run from copies of the jars: a build started elsewhere during the run (another bench, the
# tests) rewrites target/ and would pull classes from under the JVMs.
receiver_jar="${BENCH_RECEIVER_JAR:-$root/receiver/target/oms-receiver.jar}"
snap="$(mktemp -d "${TMPDIR:-/tmp}/oms-redeem-jars-XXXXXX")"
trap 'rm -rf "$snap"' EXIT
cp "$receiver_jar" "$snap/oms-receiver.jar"
cp "$root/bench/target/oms-bench.jar" "$snap/oms-bench.jar"
export BENCH_RECEIVER_JAR="$snap/oms-receiver.jar"

main=org.omspush.bench.RedeemBench
if [[ "${BENCH_REDEEM_SCENARIO:-budget}" == "maintenance" ]]; then
  main=org.omspush.bench.MaintenanceBench
fi
java -Xmx512m \
  -cp "$snap/oms-receiver.jar:$snap/oms-bench.jar" \
  "$main" "$root"
