#!/usr/bin/env bash
# Create, or update in place, this repository's render-diff comment for one stack on a pull
# request, so each push edits one comment per stack instead of adding another.
# Usage: GH_TOKEN=... GITHUB_REPOSITORY=owner/name upsert-comment.sh PR_NUMBER STACK BODY_FILE
# PR_NUMBER and STACK may come from an untrusted artifact: both are validated here.
set -euo pipefail
pr=$1 stack=$2 body=$3
[[ $pr =~ ^[0-9]+$ ]] || { echo "::error::not a pull request number: $pr" >&2; exit 1; }
[[ $stack =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "::error::not a stack name: $stack" >&2; exit 1; }

marker="<!-- spark-on-metal:render-diff:$stack -->"
comment=$(mktemp)
trap 'rm -f "$comment"' EXIT
{ echo "$marker"; cat "$body"; } >"$comment"

existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" | sed -n 1p)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$comment" >/dev/null
  echo "updated comment $existing on #$pr"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$comment" >/dev/null
  echo "commented on #$pr"
fi
