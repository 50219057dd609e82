#!/usr/bin/env bash
# Decide whether a Pulumi job can run, and say why not where people look (job summary and
# annotations) instead of failing later with an obscure login or decryption error.
# - Pull requests from forks get no secrets from GitHub: preview is skipped (success).
# - A preview without the secrets it needs (e.g. Dependabot) is skipped the same way;
#   an `up` without them fails.
# - A local file backend is refused outright: a runner's disk, and the state, are thrown away.
# Environment: COMMAND (preview|up), STACK, IS_FORK, HAS_ACCESS_TOKEN, HAS_SSH_KEY (true|false),
# SSH_KEY_SECRET (the caller's name for the key, for messages), PULUMI_ORG, PULUMI_BACKEND_URL (may be empty).
# Writes ready=true|false to $GITHUB_OUTPUT.
set -euo pipefail

report() {  # report LEVEL TITLE TEXT: an annotation plus a job summary section
  echo "::$1 title=$2::$3"
  printf '### %s\n\n%s\n' "$2" "$3" >>"$GITHUB_STEP_SUMMARY"
}
skip() {
  report notice "Pulumi $COMMAND of stack $STACK skipped" "$1"
  echo "ready=false" >>"$GITHUB_OUTPUT"
  exit 0
}
fail() {
  report error "Pulumi $COMMAND of stack $STACK cannot run" "$1"
  exit 1
}
missing() {
  if [ "$COMMAND" = preview ]; then skip "$1"; else fail "$1"; fi
}

if [ "$IS_FORK" = true ]; then
  skip "This pull request comes from a fork. GitHub gives workflows of fork pull requests no secrets, so there is no Pulumi backend token and no SSH key to run a preview with. The render diff of this stack (job render-diff) shows every file and manifest that would change. A maintainer can push the branch to this repository to get a preview."
fi

backend=${PULUMI_BACKEND_URL:-}
case "$backend" in
  file:* | /* | "~"* | .*)
    fail "Repository variable PULUMI_BACKEND_URL is '$backend', a local file backend: the runner's disk is discarded after the job, and the stack's state with it. Leave it empty for Pulumi Cloud, or use a bucket URL (s3://, gs://, azblob://)." ;;
esac
if [ -z "${PULUMI_ORG:-}" ]; then
  fail "Repository variable PULUMI_ORG is not set: stacks are named <PULUMI_ORG>/spark-on-metal/<stack> (use 'organization' with a self-managed backend)."
fi
if [ -z "$backend" ] || [[ $backend == http* ]]; then
  [ "$HAS_ACCESS_TOKEN" = true ] ||
    missing "Secret PULUMI_ACCESS_TOKEN is not available to this run (not set, or a run GitHub gives no secrets, such as Dependabot's)."
fi
[ "$HAS_SSH_KEY" = true ] ||
  missing "Secret $SSH_KEY_SECRET (the stack's sshPrivateKey) is not available to this run (not set, or a run GitHub gives no secrets). A job that runs in an environment can also take it from that environment's secret SSH_PRIVATE_KEY."
echo "ready=true" >>"$GITHUB_OUTPUT"
