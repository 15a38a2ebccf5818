#!/usr/bin/env bash
# Builds the packaged ru-latn-cyrl transliteration model from Debian packages on this machine's CPUs:
# data (fortunes-ru, hunspell-ru, manpages-ru), training (55 minutes by default), the Optimum-layout
# export into inference/src/main/resources/ru-latn-cyrl, the evaluation, and the export check (ONNX
# Runtime's greedy output, through the service's own Java engine, must equal torch's).
#   inference/src/main/python/ru_latn_cyrl/make_model.sh          (MINUTES=55 WORK=/tmp/ru-latn-cyrl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
work=${WORK:-/tmp/ru-latn-cyrl}
minutes=${MINUTES:-55}
model_dir="$repo/inference/src/main/resources/ru-latn-cyrl"
test_dir="$repo/inference/src/test/resources/ru-latn-cyrl"

needed=()
for package in python3-torch python3-onnx libopenblas0-pthread fortunes-ru hunspell-ru hunspell-tools manpages-ru; do
  dpkg -s "$package" >/dev/null 2>&1 || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${needed[@]}"
fi

cd "$here"
mkdir -p "$work" "$model_dir" "$test_dir"
/usr/bin/python3 data.py "$work/data"
cp "$work/data/test.tsv" "$work/data/manpages.tsv" "$work/data/numbers.tsv" "$test_dir/"
/usr/bin/python3 train.py "$work/data" --minutes "$minutes" --out "$work/checkpoint.pt" | tee "$work/train.log"
/usr/bin/python3 export.py "$work/checkpoint.pt" "$model_dir"
/usr/bin/python3 export.py "$work/checkpoint.pt" "$work/grown-cache" --grown-cache
mkdir -p "$test_dir-grown-cache" && cp "$work/grown-cache/decoder_model_merged.onnx" "$test_dir-grown-cache/"
/usr/bin/python3 evaluate.py "$work/checkpoint.pt" "$work/data" "$work"
cp "$work/evaluation.json" "$here/evaluation.json"
cp "$work/expected_greedy.tsv" "$test_dir/expected_greedy.tsv"
cd "$repo"
mvn -B -q -N install && mvn -B -q -pl inference install -DskipTests
mvn -B -q -pl inference org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.mainClass=io.inferbus.inference.seq2seq.ExportCheck \
  -Dexec.args="$model_dir $test_dir/expected_greedy.tsv 24"
