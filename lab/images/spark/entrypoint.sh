#!/bin/bash
# Entrypoint of the lab's Spark image (written for spark-on-metal).
#
# Spark on Kubernetes starts every container of a job with one word and hands it the
# rest through the environment (resource-managers/kubernetes, the driver and executor
# feature steps):
#   driver    the driver pod: run the application with spark-submit in client mode
#             (cluster mode here would submit the driver again), bound to the pod's IP
#             (SPARK_DRIVER_BIND_ADDRESS, from status.podIP).
#   executor  an executor pod: the JVM runs KubernetesExecutorBackend, told where the
#             driver is (SPARK_DRIVER_URL), who it is (SPARK_EXECUTOR_ID,
#             SPARK_EXECUTOR_POD_NAME, SPARK_APPLICATION_ID, SPARK_RESOURCE_PROFILE_ID),
#             its size (SPARK_EXECUTOR_CORES, SPARK_EXECUTOR_MEMORY), its address
#             (SPARK_EXECUTOR_POD_IP) and its JVM options (SPARK_JAVA_OPT_0, _1, ...).
# Anything else runs as given, so the image also serves `kubectl run ... -- bash`.
# tini reaps the JVM's children and forwards signals: the JVM is not PID 1.
set -euo pipefail

: "${SPARK_HOME:=/opt/spark}"
: "${SPARK_CONF_DIR:=$SPARK_HOME/conf}"
: "${TINI:=/usr/bin/tini}"  # Debian's tini; tests point it at a recorder

# The configuration directory first (log4j2 properties), then Spark's jars, any
# user-provided extra classpath, and the work directory (where spark.files land).
classpath() {
  local path="$SPARK_CONF_DIR:$SPARK_HOME/jars/*"
  if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then path="$path:$SPARK_EXTRA_CLASSPATH"; fi
  if [ -n "${SPARK_CLASSPATH:-}" ]; then path="$SPARK_CLASSPATH:$path"; fi
  printf '%s:%s' "$path" "$PWD"
}

# An IPv6 address must be bracketed where Spark expects host[:port].
host_literal() {
  case "$1" in *:*) printf '[%s]' "$1" ;; *) printf '%s' "$1" ;; esac
}

run_driver() {
  : "${SPARK_DRIVER_BIND_ADDRESS:?the driver pod must set SPARK_DRIVER_BIND_ADDRESS (status.podIP)}"
  exec "$TINI" -s -- "$SPARK_HOME/bin/spark-submit" \
    --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
    --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
    --deploy-mode client \
    "$@"
}

run_executor() {
  local name
  for name in SPARK_DRIVER_URL SPARK_EXECUTOR_ID SPARK_EXECUTOR_CORES SPARK_EXECUTOR_MEMORY \
              SPARK_APPLICATION_ID SPARK_EXECUTOR_POD_IP SPARK_RESOURCE_PROFILE_ID SPARK_EXECUTOR_POD_NAME; do
    if [ -z "${!name:-}" ]; then
      echo "entrypoint: the executor pod must set $name" >&2
      exit 64
    fi
  done
  # The driver numbers the options from 0 without gaps, in the order they must apply.
  local options=() index=0 option
  while option="SPARK_JAVA_OPT_$index" && [ -n "${!option+set}" ]; do
    options+=("${!option}")
    index=$((index + 1))
  done
  exec "$TINI" -s -- "$JAVA_HOME/bin/java" \
    "${options[@]}" \
    "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY" \
    -cp "$(classpath)" \
    org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
    --driver-url "$SPARK_DRIVER_URL" \
    --executor-id "$SPARK_EXECUTOR_ID" \
    --cores "$SPARK_EXECUTOR_CORES" \
    --app-id "$SPARK_APPLICATION_ID" \
    --hostname "$(host_literal "$SPARK_EXECUTOR_POD_IP")" \
    --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
    --podName "$SPARK_EXECUTOR_POD_NAME"
}

case "${1:-}" in
  driver) shift; run_driver "$@" ;;
  executor) shift; run_executor "$@" ;;
  "") echo "entrypoint: give driver, executor or a command to run" >&2; exit 64 ;;
  *) exec "$TINI" -s -- "$@" ;;
esac
