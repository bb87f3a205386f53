#!/usr/bin/env bash
#! Fails when the committed TypeScript bindings in ui/src/ipc/generated/ differ from what the
#! Rust DTOs generate (run `cargo test -p stratagraph-api export_bindings` and commit to fix).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
GEN=ui/src/ipc/generated
rm -rf "$GEN"
cargo test -q -p stratagraph-api --lib export_bindings
if ! git diff --exit-code --stat -- "$GEN" || [[ -n "$(git ls-files --others --exclude-standard -- "$GEN")" ]]; then
  echo "check-bindings: $GEN is out of date; regenerate with" >&2
  echo "  cargo test -p stratagraph-api export_bindings   and commit the result" >&2
  exit 1
fi
echo "check-bindings: generated bindings are up to date"
