#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: the unit tests, the
# Avahi and harness tests (in network namespaces they create), all of them
# again under AddressSanitizer + UndefinedBehaviorSanitizer, and each fuzz
# target for a bounded time (FUZZ_SECONDS, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
start=$(date +%s)

bash scripts/setup.sh

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
(cd build && ctest --output-on-failure --timeout 300)

echo "== build and test with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLM_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure --timeout 300)

echo "== fuzz (${FUZZ_SECONDS} s per target)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLM_SANITIZE=ON \
  -DLM_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_wire fuzz_open fuzz_txt fuzz_wav \
  fuzz_audio fuzz_files fuzz_video >/dev/null
for target in wire open txt wav audio files video; do
  corpus=$(mktemp -d)      # scratch: new inputs go here, the seeds stay
  log=$(mktemp)
  rc=0
  ./build-fuzz/fuzz_$target -max_total_time="$FUZZ_SECONDS" -max_len=8300 \
    -print_final_stats=1 -artifact_prefix="$corpus/" \
    "$corpus" tests/fuzz/corpus/$target >"$log" 2>&1 || rc=$?
  grep -E "^stat::number_of_executed_units|^#[0-9]+ +DONE" "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "$log"
    echo "fuzz_$target failed (exit $rc); inputs kept in $corpus"
    exit 1
  fi
  rm -rf "$corpus" "$log"
done

echo "== all tests passed in $(( $(date +%s) - start )) s"
