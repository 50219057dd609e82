#!/usr/bin/env bash
# Log in to the state backend, select (or create) the stack, and set its SSH private key
# as a Pulumi secret for this job's checkout only (Pulumi.<stack>.yaml is never committed
# with it). The key goes from the environment to a 0600 temporary file with bash's builtin
# printf and from there on stdin: it is never echoed and never in any command line.
# Environment: STACK_NAME (org/spark-on-metal/stack), SSH_PRIVATE_KEY, PULUMI_BACKEND_URL
# (empty: Pulumi Cloud, with PULUMI_ACCESS_TOKEN).
set -euo pipefail

if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
  pulumi login "$PULUMI_BACKEND_URL"
else
  pulumi login
fi
pulumi stack select --create "$STACK_NAME"

key=$(mktemp)
trap 'rm -f "$key"' EXIT
printf '%s\n' "$SSH_PRIVATE_KEY" >"$key"
pulumi config set --secret sshPrivateKey --stack "$STACK_NAME" <"$key"
echo "stack $STACK_NAME selected; sshPrivateKey set from the job's secret"
