#!/usr/bin/env bash
# Every Gatling simulation in turn, each against the service (or cluster) it starts itself; prints
# each one's assertions and where its HTML report is. Usage: loadtest/run-gatling.sh [Simulation ...]
# (default: all six). SMOKE=true: 10-second runs at light load.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f verticles/target/inferbus.jar ] || mvn -B -q package -DskipTests
mvn -B -q -N install && mvn -B -q install -DskipTests -pl inference
simulations=("$@")
[ ${#simulations[@]} -gt 0 ] || simulations=(Seed000Transliteration EmbeddingsRamp PriorityMix Reconnect Bridge ClusterFailover)
failed=0
for simulation in "${simulations[@]}"; do
  echo "== $simulation"
  log=$(mktemp)
  if mvn -B -pl loadtest gatling:test -Dsmoke="${SMOKE:-false}" -Dgatling.simulationClass="io.inferbus.loadtest.$simulation" >"$log" 2>&1; then
    status=passed
  else
    status=FAILED; failed=1
  fi
  grep -E "^harness:|^service:|: .* : (true|false)|^Reports generated|please open" "$log" | grep -v "_bucket"
  echo "$simulation $status (full output: $log)"
done
exit $failed
