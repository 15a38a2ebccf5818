#!/usr/bin/env bash
# Service vs. raw engine on one 1,000-sentence embed job; prints both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install
mvn -B -q -pl loadtest exec:java -Dexec.args="$PWD/verticles/target/inferbus.jar ${1:-1000} ${2:-3}"
