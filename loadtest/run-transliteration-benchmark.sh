#!/usr/bin/env bash
# The generative path: continuous batching vs one sequence at a time, service vs raw engine, and time
# to first token; each measured in turns within one run. Arguments: seconds per measurement, clients, rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install
mvn -B -q -pl loadtest exec:java -Dexec.mainClass=io.inferbus.loadtest.TransliterationBenchmark \
  -Dexec.args="$PWD/verticles/target/inferbus.jar ${1:-30} ${2:-32} ${3:-2}"
