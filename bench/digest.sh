#!/usr/bin/env bash
# SHA-256 implementations side by side in one JVM (bench/digest/): the JDK's MessageDigest (the ceiling: it cannot
# save its state), the JDK internals through reflection that the service used until it moved to BouncyCastle,
# PortableSha256, BouncyCastle's SHA256Digest from bcprov-jdk18on (for comparison) and from bcprov-lts8on, the edition
# the service builds with (Java, and native when it loads a native SHA-256 for this CPU), and Relay's own engines as
# this tree builds them (BouncyCastleSha256, the Java fallback; ResumableSha256, native where it loads).
#
#   bench/digest.sh [SIZE_MiB] [ROUNDS]      (defaults: 1024, 3; BENCH_WARMUP_MIB, default 512, per implementation)
#
# Each implementation hashes SIZE_MiB in 256 KiB updates, saving and restoring its state every 16 MiB as the engine
# does per part; prints MB/s (median of ROUNDS, each round takes every implementation once in a rotating order) and
# the ratio to MessageDigest as a markdown table. Builds nothing with Maven: javac compiles Relay's digest sources
# of this tree (streaming/), PortableSha256 from its tests and JdkSha256 from git history (the last commit that had
# it), against the BouncyCastle jars, which `mvn dependency:copy` takes from the local repository or the registry.
# Needs java 17, javac, mvn, git. About 2 minutes at the defaults on a quiet machine.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
SIZE_MIB=${1:-1024}
ROUNDS=${2:-3}
WARMUP_MIB=${BENCH_WARMUP_MIB:-512}
# The LTS edition the service builds with, and the standard edition to compare (not a dependency any more).
BC_LTS_VERSION=$(sed -n 's:.*<bouncycastle.version>\(.*\)</bouncycastle.version>.*:\1:p' "$REPO/pom.xml")
BC_VERSION=${BC_JDK18ON_VERSION:-1.81}
SLF4J_VERSION=${SLF4J_VERSION:-2.0.17}
DIGEST=streaming/src/main/java/dev/relay/streaming/digest
JDK_SHA256=$DIGEST/JdkSha256.java

log() { printf '[digest bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $SIZE_MIB =~ ^[0-9]+$ ]] && (( SIZE_MIB >= 16 && SIZE_MIB % 16 == 0 )) \
  || die "SIZE_MiB must be a multiple of 16, got '$SIZE_MIB'"
[[ $ROUNDS =~ ^[0-9]+$ ]] && (( ROUNDS >= 1 )) || die "ROUNDS must be a whole number ≥ 1, got '$ROUNDS'"
[[ -n $BC_LTS_VERSION ]] || die "no <bouncycastle.version> in $REPO/pom.xml"
for tool in java javac mvn git; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

WORK=$(mktemp -d /tmp/relay-digest-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"/{lib,relay-src,main,relay,bc,bc-lts}

for artifact in "org.bouncycastle:bcprov-jdk18on:$BC_VERSION" "org.bouncycastle:bcprov-lts8on:$BC_LTS_VERSION" \
    "org.slf4j:slf4j-api:$SLF4J_VERSION"; do
  # Outside the project, so that Maven copies once instead of once per module.
  (cd "$WORK" && mvn -B -q dependency:copy -Dartifact="$artifact" -DoutputDirectory="$WORK/lib") \
    >"$WORK/mvn.log" 2>&1 || { cat "$WORK/mvn.log" >&2; die "could not get $artifact"; }
done
BC_JAR=$WORK/lib/bcprov-jdk18on-$BC_VERSION.jar
BC_LTS_JAR=$WORK/lib/bcprov-lts8on-$BC_LTS_VERSION.jar
SLF4J_JAR=$WORK/lib/slf4j-api-$SLF4J_VERSION.jar

cp "$REPO"/$DIGEST/*.java "$REPO/streaming/src/test/java/dev/relay/streaming/digest/PortableSha256.java" \
  "$WORK/relay-src/"
if [[ ! -f $REPO/$JDK_SHA256 ]]; then
  # From the last commit that touched it, or the one before if that commit deleted it.
  rev=$(git -C "$REPO" log -1 --format=%H -- "$JDK_SHA256" 2>/dev/null || true)
  git -C "$REPO" cat-file -e "$rev:$JDK_SHA256" 2>/dev/null || rev=$rev^
  if [[ $rev != ^ ]] && git -C "$REPO" show "$rev:$JDK_SHA256" >"$WORK/relay-src/JdkSha256.java" 2>/dev/null; then
    log "JdkSha256 from $(git -C "$REPO" rev-parse --short "$rev")"
  else
    rm -f "$WORK/relay-src/JdkSha256.java"
    log "JdkSha256 is not in this clone's history: measured without it"
  fi
fi

compile() {
  javac -nowarn -d "$@" >"$WORK/javac.log" 2>&1 || { cat "$WORK/javac.log" >&2; die "the benchmark does not compile"; }
}
compile "$WORK/main" "$BENCH_DIR/digest/DigestBench.java"
compile "$WORK/relay" -cp "$WORK/main:$BC_LTS_JAR:$SLF4J_JAR" "$WORK"/relay-src/*.java "$BENCH_DIR/digest/RelayHashers.java"
compile "$WORK/bc" -cp "$WORK/main:$BC_JAR" "$BENCH_DIR/digest/BcHashers.java"
compile "$WORK/bc-lts" -cp "$WORK/main:$BC_LTS_JAR" "$BENCH_DIR/digest/BcNativeHashers.java"

CPU=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
SHA_NI=$(grep -q -w sha_ni /proc/cpuinfo && echo yes || echo no)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
JAVA_VERSION=$(java -version 2>&1 | sed -n 2p)
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD -- streaming 2>/dev/null || COMMIT="$COMMIT+local changes"
log "$SIZE_MIB MiB x $ROUNDS rounds, $WARMUP_MIB MiB of warm-up per implementation"

# --add-opens only for the removed JdkSha256, measured for comparison.
java --add-opens=java.base/sun.security.provider=ALL-UNNAMED -cp "$WORK/main" digestbench.DigestBench \
  "$SIZE_MIB" "$ROUNDS" "$WARMUP_MIB" "$WORK/relay" "$WORK/bc" "$BC_JAR" "$WORK/bc-lts" "$BC_LTS_JAR" "$SLF4J_JAR" \
  >"$WORK/table.md"
echo "Command: \`bench/digest.sh $SIZE_MIB $ROUNDS\` at Relay $COMMIT. $CPU, $(nproc) cores, SHA extensions" \
  "(sha_ni): $SHA_NI; $JAVA_VERSION, JVM defaults; load average at start $LOAD_AT_START, at end" \
  "$(cut -d' ' -f1-3 /proc/loadavg)."
echo
cat "$WORK/table.md"
