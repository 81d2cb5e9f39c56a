#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 25): .ci/run uses the default, a
# longer run by hand is e.g. `fuzz/run.sh 600`. Needs cargo-fuzz, installed pinned
# into the CI tool cache on first use. cargo-fuzz asks for nightly-only rustc flags;
# the build machines have one stable toolchain and cannot fetch another, so the
# targets are built with it and RUSTC_BOOTSTRAP=1 (fuzz builds only: the shipped
# binaries never see it).
#
# libFuzzer without a sanitizer: every crate of ours forbids unsafe code, so the
# targets look for panics and broken properties, not memory errors; ASan would
# double the build and halve the executions for nothing it could find in our code.
#
# Each target starts from fuzz/seeds/TARGET, fuzz/regressions/TARGET and its corpus
# kept in the cache directory (so coverage grows from run to run on a kept machine).
# A failure leaves the input in $cache/artifacts/TARGET and fails the run; it then
# belongs in fuzz/regressions/TARGET (also replayed by `cargo test` in fuzz/) and in
# a unit test.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-25}
cache=${PVE_MCP_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci}
tools=$cache/tools
CARGO_FUZZ=0.13.2
export PATH=$tools/bin:$PATH

if [[ "$(cargo-fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ" ]]; then
  cargo install --locked --quiet --root "$tools" "cargo-fuzz@$CARGO_FUZZ"
fi

targets=(frame request api_path argv policy listing)
target_dir=$cache/fuzz-target
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none --target-dir "$target_dir"
failed=()
for t in "${targets[@]}"; do
  corpus=$cache/fuzz-corpus/$t
  artifacts=$cache/artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  # libFuzzer runs every input of every directory given before it mutates any, so
  # the seeds and each input that once failed are replayed first.
  regressions=()
  [[ -d regressions/$t ]] && regressions=("regressions/$t")
  log=$(mktemp)
  if RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --target-dir "$target_dir" "$t" \
      "$corpus" "seeds/$t" "${regressions[@]}" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -dict="dict/$t.dict" -artifact_prefix="$artifacts" -print_final_stats=1 \
      >"$log" 2>&1; then
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "fuzz $t: ${seconds}s, $runs runs, $cov, corpus $(find "$corpus" -type f | wc -l) inputs, no failure"
  else
    echo "fuzz $t: FAILED, input kept in $artifacts" >&2
    grep -E 'panicked|ERROR|Test unit written|Base64' "$log" >&2 || tail -20 "$log" >&2
    failed+=("$t")
  fi
  rm -f "$log"
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
