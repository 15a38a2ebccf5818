#!/usr/bin/env bash
# The scheduling benchmarks, each printing its ratios: engine vs. service on 10,000 sentences (as one
# document job and as single-sentence jobs from 64 clients, over SSE and over /v1/embeddings; medians of 3 rounds taken in turn), orchestration with noop jobs (50 clients,
# 15 s per measurement, 3 turns, in-process and clustered), the bare pipeline in one JVM and split over two, and critical-job queue wait behind 1,000 queued normal jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install
jar="$PWD/verticles/target/inferbus.jar"
run() { mvn -B -q -pl loadtest exec:java -Dexec.mainClass="io.inferbus.loadtest.$1" -Dexec.args="$jar ${*:2}"; }
run EmbedThroughputBenchmark 10000 3 64
run OrchestrationBenchmark 50 15 3
run ClusterFloorBenchmark 50 15 3
run PriorityBenchmark 1000 40
