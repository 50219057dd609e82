#!/usr/bin/env bash
# Post the render-diff comments of a pull request from a fork. Such runs get a read-only
# token, so pull-request.yml uploads the comments as artifacts and this script, run by
# render-diff-comment.yml (workflow_run: default-branch code, write token), posts them.
# Artifacts are untrusted: nothing in them is executed, the PR number must name an open
# pull request whose head is the commit that produced them, and names are validated.
# Usage: GH_TOKEN=... GITHUB_REPOSITORY=owner/name relay-render-diff.sh ARTIFACTS_DIR HEAD_SHA
set -euo pipefail
artifacts=$1 head_sha=$2
here=$(dirname "$0")

shopt -s nullglob
for dir in "$artifacts"/render-diff-*/; do
  pr=$(cat "$dir/pr-number")
  stack=$(cat "$dir/stack")
  [[ $pr =~ ^[0-9]+$ ]] || { echo "::warning::skipping $dir: bad pull request number"; continue; }
  pr_head=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq 'select(.state == "open") | .head.sha')
  if [ "$pr_head" != "$head_sha" ]; then
    echo "::notice::#$pr is closed or has moved past $head_sha; not posting its $stack render diff"
    continue
  fi
  bash "$here/upsert-comment.sh" "$pr" "$stack" "$dir/comment.md"
done
