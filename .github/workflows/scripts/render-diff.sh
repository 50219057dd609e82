#!/usr/bin/env bash
# Render one stack from the pull request's base and head checkouts and diff the two trees.
# Runs the program's own `python -m components render` (no Pulumi CLI, no secrets), each
# checkout in a virtualenv built from that checkout's requirements.txt.
# Usage: render-diff.sh STACK BASE_CHECKOUT HEAD_CHECKOUT OUT_DIR
# Writes OUT_DIR/render.diff and OUT_DIR/base-status ("ok", or "failed" when the base branch
# cannot render, e.g. before the render command existed). A head that fails to render fails.
set -euo pipefail
stack=$1 base=$2 head=$3 out=$4
mkdir -p "$out"

# venv_for CHECKOUT: print a virtualenv with CHECKOUT's requirements (shared when they match).
venv_for() {
  local checkout=$1 venv
  venv="$out/venv-$(sha256sum "$checkout/requirements.txt" | cut -c1-16)" || return 1
  if [ ! -x "$venv/bin/python" ]; then
    if ! { python -m venv "$venv" && "$venv/bin/python" -m pip install -q -r "$checkout/requirements.txt"; } >&2; then
      rm -rf "$venv"
      return 1
    fi
  fi
  echo "$venv"
}

# render CHECKOUT TREE: write every file of the stack, as CHECKOUT renders it, below TREE.
render() {
  local checkout=$1 tree=$2 venv
  venv=$(venv_for "$checkout") || return 1
  (cd "$checkout" && "$venv/bin/python" -m components render --stack "$stack" --out "$tree")
}

render "$head" "$out/head"
if render "$base" "$out/base"; then
  echo ok >"$out/base-status"
else
  echo "::warning::the base branch could not render stack $stack; the diff shows every file as added"
  rm -rf "$out/base"
  mkdir -p "$out/base"
  echo failed >"$out/base-status"
fi

status=0
(cd "$out" && diff -ruN -x .spark-on-metal-render base head) >"$out/render.diff" || status=$?
if [ "$status" -gt 1 ]; then
  echo "::error::diff failed with status $status" >&2
  exit "$status"
fi
echo "stack $stack: $(grep -c '^diff ' "$out/render.diff" || true) file(s) differ"
