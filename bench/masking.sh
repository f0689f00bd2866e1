#!/usr/bin/env bash
# The cost of encoding the Java client's upload frames, Netty's way and MaskingFrameEncoder's, with Netty's default
# per-access buffer checks and with them off (bench/masking/MaskingCost.java; one JVM each, ROUNDS rounds of 8000
# frames of 256 KiB, the median of the second half, per second of the encoding thread's CPU):
#
#   bench/masking.sh [ROUNDS] [REPEATS]      (defaults: 12, 2)
#
# Builds nothing: it runs the relay-client and Netty jars inside web/target's runnable jar (`mvn package -DskipTests`).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-12}
REPEATS=${2:-2}
JAR=$REPO/web/target/relay-web-0.1.0-SNAPSHOT-exec.jar
[[ -e $JAR ]] || { echo "$JAR is missing: run 'mvn package -DskipTests' first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/relay-masking.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && jar xf "$JAR" BOOT-INF/lib)
CP=$(ls "$WORK"/BOOT-INF/lib/*.jar | grep -E '/(netty-|relay-client-|relay-api-|reactor-|rsocket-|slf4j-)' | paste -sd:)
javac -nowarn -d "$WORK/classes" -cp "$CP" "$REPO/bench/masking/MaskingCost.java"
printf 'encoder\tchecks\tMB per CPU second\tCPU s per GiB\n'
for (( i = 0; i < REPEATS; i++ )); do
  for encoder in netty relay; do
    java -Dslf4j.internal.verbosity=ERROR -cp "$WORK/classes:$CP" dev.relay.client.MaskingCost "$encoder" "$ROUNDS"
    java -Dslf4j.internal.verbosity=ERROR -Dio.netty.buffer.checkAccessible=false -Dio.netty.buffer.checkBounds=false \
      -cp "$WORK/classes:$CP" dev.relay.client.MaskingCost "$encoder" "$ROUNDS"
  done
done
