#!/usr/bin/env bash
# Job round trip in one JVM vs. a two-JVM cluster (API and worker apart); prints both and the difference.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install
mvn -B -q -pl loadtest exec:java -Dexec.mainClass=io.inferbus.loadtest.RoundTripBenchmark \
  -Dexec.args="$PWD/verticles/target/inferbus.jar ${1:-500} ${2:-16} ${3:-100}"
