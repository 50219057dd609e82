#!/usr/bin/env bash
# Post the render-diff comments of a pull request from a fork. Such runs get a read-only
# token, so pull-request.yml uploads each stack's diff as an artifact and this script, run by
# render-diff-comment.yml (workflow_run: default-branch code, write token), posts them.
# The fork's run, workflow file included, is the fork's to write, so every artifact is
# untrusted data: nothing in it is executed, sourced or evaluated; each file must be a
# regular file (no symlink out of the artifact) of bounded size; names, the pull request
# number, the stack and the base status must have their expected shape before they are
# used or printed; the comment itself is written here, by this branch's
# render_diff_comment.py from the diff, not taken from the artifact; and the pull request
# must be open with the commit that produced the artifacts as its head.
# Usage: GH_TOKEN=... GITHUB_REPOSITORY=owner/name [RUN_URL=...] \
#          relay-render-diff.sh ARTIFACTS_DIR HEAD_SHA
set -euo pipefail
artifacts=$1 head_sha=$2
here=$(dirname "$0")
readonly MAX_SMALL=64 MAX_DIFF=$((64 * 1024 * 1024))

# small_value FILE: FILE's first line, if FILE is a regular file of at most MAX_SMALL bytes.
small_value() {
  local file=$1
  [ -f "$file" ] && [ ! -L "$file" ] && [ "$(stat -c %s "$file")" -le "$MAX_SMALL" ] || return 1
  head -n 1 "$file"
}

# relay DIR: post DIR's comment, or say (in trusted words only) why not.
relay() {
  local dir=$1 name pr stack base_status pr_head
  name=$(basename "$dir")
  if [ -L "${dir%/}" ] || [[ ! $name =~ ^render-diff-[a-z0-9][a-z0-9-]{0,30}$ ]]; then
    echo "::warning::skipping an artifact with an unexpected name"
    return 0
  fi
  pr=$(small_value "$dir/pr-number") || pr=""
  stack=$(small_value "$dir/stack") || stack=""
  base_status=$(small_value "$dir/base-status") || base_status=""
  if [[ ! $pr =~ ^[1-9][0-9]{0,9}$ ]] || [ "$stack" != "${name#render-diff-}" ] ||
    [[ ! $base_status =~ ^(ok|failed)$ ]] || [ ! -f "$dir/render.diff" ] || [ -L "$dir/render.diff" ] ||
    [ "$(stat -c %s "$dir/render.diff")" -gt "$MAX_DIFF" ]; then
    echo "::warning::skipping artifact $name: missing or malformed files"
    return 0
  fi
  pr_head=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq 'select(.state == "open") | .head.sha')
  if [ "$pr_head" != "$head_sha" ]; then
    echo "::notice::#$pr is closed or has moved past the rendered commit; not posting its $stack render diff"
    return 0
  fi
  python3 "$here/render_diff_comment.py" --stack "$stack" --diff "$dir/render.diff" \
    --base-status "$base_status" ${RUN_URL:+--details-url "$RUN_URL"} >"$comment"
  bash "$here/upsert-comment.sh" "$pr" "$stack" "$comment"
}

[[ $head_sha =~ ^[0-9a-f]{40}$ ]] || { echo "::error::HEAD_SHA is not a commit hash" >&2; exit 1; }
comment=$(mktemp)
trap 'rm -f "$comment"' EXIT
shopt -s nullglob
for dir in "$artifacts"/render-diff-*/; do
  relay "$dir"
done
