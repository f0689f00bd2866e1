#!/usr/bin/env bash
# Relay's upload benchmark: Relay, the MinIO SDK and the AWS SDK's multipart client directly, and a tus server, side
# by side against one S3 server.
#
#   bench/run.sh [SIZE_MiB] [output.md]      (defaults: 1024, docs/benchmarks.md)
#
# Builds nothing: it runs the jars of `mvn package -DskipTests` in this repository. Starts S3Proxy, the service and
# the tus server on free loopback ports, measures (bench/harness/): upload throughput against a direct SDK upload and
# tus, pause, downloads, latency, scaling and memory; prints the tables, writes them to output.md followed by
# bench/commentary.md, draws the scaling plot next to it (<output>-scaling.png), and stops everything it started on
# any exit. Each throughput figure is the median of BENCH_RUNS runs (default 5). Needs: java 17, node + npm, a
# MariaDB/MySQL server (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD; default 127.0.0.1:3306 root with no password) in
# which it creates databases of its own (relay_bench_<pid of run.sh>, dropped at the end: runs at the same time, such
# as `mvn verify` in two checkouts, would otherwise drop each other's tables). BENCH_WARMUP_MIB (default 1024) sets
# how much at least goes through each freshly started service before it is measured; the warm-up goes on until the
# JIT compilers of the service, the S3 server and the client have settled (WarmUp.run), for at most
# BENCH_WARMUP_ROUNDS rounds of every variant (default 6). The test suite runs a quick one (web/pom.xml):
#   BENCH_RUNS=1 BENCH_WARMUP_MIB=64 BENCH_WARMUP_ROUNDS=1 BENCH_PAUSED_UPLOADS=100 BENCH_CHAT_USERS=60 \
#     BENCH_CHAT_RATES=50,200 BENCH_CHAT_SECONDS=3 BENCH_CHAT_GRACE=5 BENCH_CHAT_SETTLE_SECONDS=20 bench/run.sh 64 OUT
# with BENCH_SKIP_WITHOUT_DB=1, which makes it exit 0 with a message instead of failing when no database answers.
#
# The throughput section measures a second service in the same runs as the defaults (row 1b of the report, with its
# ratios to the direct uploads, tus and the defaults, run by run); the download section does too when BENCH_SECOND_JAR
# or BENCH_SECOND_ARGS is set (a second Relay row in section 6, with its ratio to this build run by run), e.g.
#   BENCH_RUNS=3 BENCH_SECTIONS=download BENCH_SECOND_LABEL=before BENCH_SECOND_JAR=../old/web/target/...-exec.jar \
#     bench/run.sh 256 /tmp/downloads.md By default it is the same jar with 8 MiB parts,
# labelled parts8. Three variables make it another comparison:
#   BENCH_SECOND_JAR    another build's runnable jar (web/target/relay-web-0.1.0-SNAPSHOT-exec.jar of a checkout of
#                       the commit to compare with, e.g. `git worktree add ../old HEAD~1`, then in ../old
#                       `mvn -B -q package -DskipTests`); the report then gives this build / that jar. The harness's
#                       client is this build's, so that jar must speak the same protocol. Default: this build's jar.
#   BENCH_SECOND_ARGS   its extra properties, e.g. --relay.transfer.receive-ahead=true; the report then gives that
#                       variant / the defaults. Default: --relay.transfer.preferred-part-size=8MB when
#                       BENCH_SECOND_JAR is not set, else none; set it empty for none (same jar: an A/A noise check).
#   BENCH_SECOND_LABEL  the row's name in the report ([A-Za-z0-9._-]); default parts8 when neither of the two above is
#                       set, else "second".
# The throughput section also uploads through the Java client in child JVMs (row 1c): embedded with Netty's default
# buffer checks, as a program using the client as a library runs it, and with them off in main(), as the relay CLI
# (and the harness's own client) runs it. BENCH_BEFORE_CLIENT_JAR (another build's client/target/relay-client-*.jar) adds that
# client, embedded and with the checks off, in the same runs; BENCH_EMBEDDED_JAVA_OPTS adds JVM options to those
# children, {child} replaced by each one's name: -XX:StartFlightRecording=filename=/tmp/{child}.jfr,settings=profile.
# The second service has a database of its own (relay_bench_<pid>_second), so another build migrates its own schema.
# BENCH_SERVICE_ARGS and BENCH_SERVICE_JAVA_OPTS apply to both services. The setup line of the report states each
# service's jar (the commit of the checkout it was built in, when it lies in one, and its build time) and properties.
#   BENCH_SECTIONS      a comma-separated subset of throughput,pause,latency,download,browser,fixed-window,scaling,
#                       memory, chat and cluster (default: all but cluster) to measure; the report leaves the others out.
#                       fixed-window is Relay with the credit window fixed at 1MB, with and without latency (a service
#                       of its own); scaling and memory run on a service of their own too.
#   BENCH_PAUSED_UPLOADS, BENCH_OPEN_UPLOADS, BENCH_IDLE_CONNECTIONS (1000, 1000, 10000) and BENCH_BUFFER_BUDGET
#                       (2GB): the memory section's paused uploads, uploads opened at once (capped at 50 kB/s each;
#                       those past the buffer budget wait) and idle connections with their event streams.
#   BENCH_HISTOGRAM_DIR keeps every class histogram the memory figures are taken from there (histogram-N.txt).
# E.g. a comparison of two builds (a) or of a setting with the defaults (b), throughput only, in minutes:
#   (a) BENCH_RUNS=3 BENCH_SECTIONS=throughput BENCH_SECOND_LABEL=before \
#         BENCH_SECOND_JAR=../old/web/target/relay-web-0.1.0-SNAPSHOT-exec.jar bench/run.sh 256 /tmp/before-after.md
#   (b) BENCH_RUNS=3 BENCH_SECTIONS=throughput BENCH_SECOND_LABEL=receive-ahead \
#         BENCH_SECOND_ARGS=--relay.transfer.receive-ahead=true bench/run.sh 256 /tmp/receive-ahead.md
#
# The browser section (bench/harness/BrowserBench.java, driving bench/browser/run.mjs; npm ci there on first use) runs
# Debian's Chromium (BENCH_CHROMIUM, default /usr/bin/chromium; never a downloaded one) headless with playwright-core
# against the default service: the test file uploaded through the app's own code (logged in through its form, the
# conversation open), by a plain XHR PUT to a local sink and by tus-js-client to the tus peer; downloaded in the app
# (files.{id}.read), through its HTTP link (Chromium's download manager) and by a plain fetch() of the content
# endpoint; Chromium's plain WebSocket to and from a local sink (no RSocket, service or S3: a ceiling for any client on
# that WebSocket); the Java client beside them in the same runs; each also with 20 ms each way through the delay
# relay; and the page's long tasks (> 50 ms) during each transfer. Report section 11 gives the ratios against the
# issue's targets. BENCH_BROWSER_PROFILE=DIR writes each app transfer's JavaScript CPU profile there (.cpuprofile).
# At 64 MiB it takes well under a minute a run; alone, e.g. before and after a change of the app:
#   BENCH_RUNS=3 BENCH_WARMUP_MIB=128 BENCH_WARMUP_ROUNDS=1 BENCH_SECTIONS=browser bench/run.sh 128 /tmp/browser.md
#
# The chat section (bench/harness/ChatLoad.java; issue #19 §4, "Chat at load") runs on a service of its own with the
# chat, request and registration limits out of the way (the load, not a per-user limit, is what it measures): it
# registers BENCH_CHAT_USERS users (default 5000) over HTTP, opens one connection with its events stream per user
# (all at once), then (after warm-up rounds at the highest rate, until the service's JIT settles) pairs of them
# exchange text messages at each aggregate rate of BENCH_CHAT_RATES (msg/s,
# comma-separated, default 100,300,1000) for BENCH_CHAT_SECONDS each (default 20), on an open-loop schedule (each
# message sent at its planned time, so queueing shows as latency from that time to the recipient's MESSAGE event).
# Per rate: sent, delivered, lost (acknowledged but not delivered within BENCH_CHAT_GRACE seconds, default 10),
# refused by error code, p50/p99/max, delivered msg/s, CPU of the service, of MariaDB (the process listening on
# DB_PORT) and of the harness, the service's heap; a rate whose backlog passes 5 s of messages is stopped early.
# Then every connection is closed and all are opened again at once: the time until every stream caught up and until
# the PRESENCE events stop (none for 1 s), waited for at most BENCH_CHAT_SETTLE_SECONDS (default 120). It runs once
# whatever BENCH_RUNS says, and fails the benchmark (after the report) only if an acknowledged message never arrives
# (not even within a second grace after the last rate) at the lowest rate or at one the node sustained, never on
# latency. Registering costs a password hash per user (minutes for 5,000 on 2 cores): the test suite's quick run
# uses 60 users, 50,200 msg/s, 3 s each (web/pom.xml). Alone, e.g.:
#   BENCH_SECTIONS=chat BENCH_CHAT_USERS=1000 BENCH_CHAT_RATES=100,300 bench/run.sh 16 /tmp/chat.md
#
# The cluster section is opt-in (BENCH_SECTIONS=cluster, or the list with it): it needs Redis and HAProxy, which
# `mvn verify`'s quick run must not, and starts two more JVMs. It runs last, on nodes of its own: two cluster nodes
# of this jar (A and B) on the same database and S3 server, Redis at REDIS_HOST:REDIS_PORT (default 127.0.0.1:6379;
# keys in its database REDIS_DATABASE, default 1), and HAPROXY (default /usr/sbin/haproxy) twice with
# deploy/haproxy.cfg, only its bind and server lines replaced: in front of A and B, and in front of A alone. It
# measures (bench/harness/Cluster.java) the upload throughput of BENCH_CLUSTER_UPLOADS (default 4) uploads of the
# test file at once through HAProxy to both nodes, through HAProxy to A alone and directly to A, in the same runs; a
# pause sent through B for an upload held on A, beside one sent through A; the delivery latency of
# BENCH_CLUSTER_MESSAGES (default 500) chat messages per run from a user on A to an event stream on B, beside one on
# A; and, once per run, the time until a user on B hears that a user of a SIGKILLed node went offline (A in the first
# run, a node started for it in each later one). At 64 MiB and BENCH_RUNS=1 it takes a few minutes:
#   BENCH_RUNS=1 BENCH_SECTIONS=cluster bench/run.sh 64 /tmp/cluster.md
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
SIZE_MIB=${1:-1024}
OUT=$(realpath -m "${2:-$REPO/docs/benchmarks.md}")
PLOT_NAME=$(basename "${OUT%.md}")-scaling.png
DB_HOST=${DB_HOST:-127.0.0.1}
DB_PORT=${DB_PORT:-3306}
DB_USER=${DB_USER:-root}
DB_PASSWORD=${DB_PASSWORD:-}
DB_NAME=relay_bench_$$
SECOND_DB_NAME=${DB_NAME}_second
S3_ACCESS_KEY=bench-access
S3_SECRET_KEY=bench-secret-$RANDOM$RANDOM
S3_BUCKET=relay-bench

SERVICE_JAR=$REPO/web/target/relay-web-0.1.0-SNAPSHOT-exec.jar
S3PROXY_JAR=$REPO/embedded/target/classes/dev/relay/embedded/s3proxy.jar

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The pause probe pauses at 20 % sent and needs more than a credit window (1MB) still to come after that.
[[ $SIZE_MIB =~ ^[0-9]+$ ]] && (( SIZE_MIB >= 16 )) || die "SIZE_MiB must be a whole number ≥ 16, got '$SIZE_MIB'"
for f in "$SERVICE_JAR" "$S3PROXY_JAR"; do
  [[ -e $f ]] || die "$f is missing: run 'mvn package -DskipTests' in $REPO first"
done

DEFAULT_SECTIONS=throughput,pause,latency,download,browser,fixed-window,scaling,memory,chat
ALL_SECTIONS=$DEFAULT_SECTIONS,cluster
SECTIONS=${BENCH_SECTIONS:-$DEFAULT_SECTIONS}
for section in ${SECTIONS//,/ }; do
  [[ ,$ALL_SECTIONS, == *,$section,* ]] || die "BENCH_SECTIONS: unknown section '$section' (known: $ALL_SECTIONS)"
done
[[ -n ${SECTIONS//,/} ]] || die "BENCH_SECTIONS names no section (known: $ALL_SECTIONS)"
has_section() { [[ ,$SECTIONS, == *,$1,* ]]; }
# The sections among $@ that BENCH_SECTIONS asks for, comma-separated (empty if none).
sections_of() {
  local section picked=()
  for section in "$@"; do
    has_section "$section" && picked+=("$section")
  done
  (IFS=,; echo "${picked[*]}")
}

BEFORE_CLIENT_JAR=
if [[ -n ${BENCH_BEFORE_CLIENT_JAR:-} ]]; then
  BEFORE_CLIENT_JAR=$(realpath -e "$BENCH_BEFORE_CLIENT_JAR" 2>/dev/null) \
    || die "BENCH_BEFORE_CLIENT_JAR: no file at $BENCH_BEFORE_CLIENT_JAR"
fi
# The second service of the throughput section (row 1b): by default this jar with 8 MiB parts.
if [[ -n ${BENCH_SECOND_JAR:-} ]]; then
  SECOND_JAR=$(realpath -e "$BENCH_SECOND_JAR" 2>/dev/null) || die "BENCH_SECOND_JAR: no file at $BENCH_SECOND_JAR"
  SECOND_ARGS=${BENCH_SECOND_ARGS-}
  SECOND_LABEL=${BENCH_SECOND_LABEL:-second}
else
  SECOND_JAR=$SERVICE_JAR
  SECOND_ARGS=${BENCH_SECOND_ARGS---relay.transfer.preferred-part-size=8MB}
  if [[ -n ${BENCH_SECOND_ARGS+set} ]]; then
    SECOND_LABEL=${BENCH_SECOND_LABEL:-second}
  else
    SECOND_LABEL=${BENCH_SECOND_LABEL:-parts8}
  fi
fi
read -r -a SECOND_ARGV <<<"$SECOND_ARGS"
SECOND_ARGS=${SECOND_ARGV[*]}
# The label names the service's figures (relay@LABEL), its log and the report's row: not one of the other services'.
[[ $SECOND_LABEL =~ ^[A-Za-z0-9._-]+$ ]] || die "BENCH_SECOND_LABEL must match [A-Za-z0-9._-]+, got '$SECOND_LABEL'"
case $SECOND_LABEL in
  adaptive|fixed-1MB|memory) die "BENCH_SECOND_LABEL '$SECOND_LABEL' is taken by another service of the benchmark" ;;
esac
[[ $(realpath "$SECOND_JAR") != $(realpath "$SERVICE_JAR") ]] && SECOND_OTHER_JAR=true || SECOND_OTHER_JAR=false
# The second service runs with the throughput section, and with the download section when BENCH_SECOND_JAR or
# BENCH_SECOND_ARGS asks for it (its downloads then get a row of their own in section 6, in the same runs).
if has_section throughput || { has_section download && [[ -n ${BENCH_SECOND_JAR:-}${BENCH_SECOND_ARGS+set} ]]; }; then
  SECOND_RUNS=true
else
  SECOND_RUNS=false
fi
if ! $SECOND_RUNS && [[ -n ${BENCH_SECOND_JAR:-}${BENCH_SECOND_ARGS+set}${BENCH_SECOND_LABEL:-} ]]; then
  log "note: the second service (BENCH_SECOND_*) runs only in the throughput and download sections, which"\
    "BENCH_SECTIONS leaves out"
fi

# Where a service jar comes from: the commit of the checkout it was built in (when it lies in one, as
# CHECKOUT/web/target/NAME.jar), with "+local changes" if the service's modules in the checkout differ from that
# commit and a warning if the jar is older than their last change; then its build time (build-info.properties if the
# build wrote one, else the file's time).
jar_origin() {
  local jar=$1 dir top commit built modules=(api client streaming embedded infra web pom.xml)
  dir=$(dirname "$(realpath "$jar")")
  commit="commit unknown"
  if top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) && [[ $dir == "$top/web/target" ]]; then
    commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "commit unknown")
    git -C "$top" diff --quiet HEAD -- "${modules[@]}" 2>/dev/null || commit="$commit+local changes"
    if (( $(stat -c %Y "$jar") < $(git -C "$top" log -1 --format=%ct HEAD -- "${modules[@]}" 2>/dev/null \
        || echo 0) )); then
      commit="$commit, but the jar is older than that commit's service code"
    fi
  fi
  if command -v unzip >/dev/null; then
    built=$(unzip -p "$jar" BOOT-INF/classes/META-INF/build-info.properties META-INF/build-info.properties \
      2>/dev/null | sed -n 's/^build\.time=//p' | head -n 1 || true)
  fi
  [[ -n ${built:-} ]] || built=$(date -u -r "$jar" '+%Y-%m-%d %H:%M UTC')
  echo "$commit (jar built $built)"
}

for tool in java javac jar node npm curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
CHAT_USERS=${BENCH_CHAT_USERS:-5000}
CHAT_RATES=${BENCH_CHAT_RATES:-100,300,1000}
CHAT_SECONDS=${BENCH_CHAT_SECONDS:-20}
CHAT_GRACE=${BENCH_CHAT_GRACE:-10}
CHAT_SETTLE=${BENCH_CHAT_SETTLE_SECONDS:-120}
if has_section chat; then
  [[ $CHAT_USERS =~ ^[0-9]+$ ]] && (( CHAT_USERS >= 2 )) || die "BENCH_CHAT_USERS must be a whole number ≥ 2"
  [[ $CHAT_RATES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "BENCH_CHAT_RATES must be msg/s separated by commas"
  [[ $CHAT_SECONDS =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_CHAT_SECONDS must be a number of seconds"
  [[ $CHAT_GRACE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_CHAT_GRACE must be a number of seconds"
  [[ $CHAT_SETTLE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_CHAT_SETTLE_SECONDS must be a number of seconds"
fi
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
# Presence's keys in a Redis database of their own: nodes of another cluster on the same Redis (the test suite's,
# running meanwhile) otherwise find a killed bench node's heartbeat expired first, drop its users, look them up in
# their own database, find nobody and announce nothing. Pub/sub channels are shared by all databases.
REDIS_DATABASE=${REDIS_DATABASE:-1}
CHROMIUM=${BENCH_CHROMIUM:-/usr/bin/chromium}
if has_section browser; then
  [[ -x $CHROMIUM ]] || die "the browser section needs Chromium: no executable at $CHROMIUM (Debian's chromium package; set BENCH_CHROMIUM)"
fi
if has_section cluster; then
  [[ -x $HAPROXY ]] || die "the cluster section needs HAProxy: no executable at $HAPROXY (set HAPROXY)"
  (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null \
    || die "the cluster section needs Redis: nothing listens at $REDIS_HOST:$REDIS_PORT (set REDIS_HOST, REDIS_PORT)"
fi
# The server's version, from INFO over a bare TCP connection (no redis-cli needed); "unknown" if it does not say.
redis_version() {
  local version
  version=$(exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'INFO server\r\nQUIT\r\n' >&3 \
    && timeout 5 cat <&3 | sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p' | head -n 1) 2>/dev/null || true
  echo "${version:-unknown}"
}
mysql_cmd() { mysql -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" ${DB_PASSWORD:+-p"$DB_PASSWORD"} "$@"; }
# The pid of the database server on this machine, for its CPU (chat section): the process listening on DB_PORT
# (ss names it to root and to its owner), else the server's own pid file; empty when neither tells (a remote server).
database_pid() {
  local pid=
  case $DB_HOST in 127.*|localhost|::1) ;; *) return 0 ;; esac
  pid=$(ss -Hltnp "sport = :$DB_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
  [[ -n $pid ]] || pid=$(cat "$(mysql_cmd -N -B -e 'SELECT @@pid_file' 2>/dev/null)" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]]; then
    echo "$pid"
  fi
}
if ! command -v mysql >/dev/null || ! mysql_cmd -e 'SELECT 1' >/dev/null 2>&1; then
  # The test suite falls back to an embedded MariaDB where none answers; its quick run of this benchmark (web's
  # verify phase) then says so and stands aside. .ci/run starts the machine's MariaDB when it is installed.
  if [[ ${BENCH_SKIP_WITHOUT_DB:-0} == 1 ]]; then
    log "SKIPPED: no MariaDB/MySQL at $DB_HOST:$DB_PORT for user $DB_USER (or no mysql client)"
    exit 0
  fi
  die "no MariaDB/MySQL at $DB_HOST:$DB_PORT for user $DB_USER (or no mysql client)"
fi

# Five runs even at 1 GiB: single uploads on this shared machine swing by a fifth to a third between runs, and a
# ratio of two of them (40 ms / 0 ms) by more; three runs left single ratios far from the rest (docs/benchmarks.md).
RUNS=${BENCH_RUNS:-5}
WARMUP_MIB=$(( SIZE_MIB < 64 ? SIZE_MIB : 64 ))
# Bytes to push through a freshly started service before measuring it (see WarmUp.run).
WARMUP_BUDGET_MIB=${BENCH_WARMUP_MIB:-1024}
# Rounds of every variant after that, until no JVM compiles much any more (at most 6; fewer for a quick run).
WARMUP_ROUNDS=${BENCH_WARMUP_ROUNDS:-6}
STARTED_AT=$(date +%s)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

WORK=$(mktemp -d /tmp/relay-bench.XXXXXX)
PIDS=()
SUCCEEDED=false
cleanup() {
  local i
  # In reverse order of start: the service before the S3 server it may still be writing to.
  for (( i = ${#PIDS[@]} - 1; i >= 0; i-- )); do
    stop_process "${PIDS[i]}"
  done
  mysql_cmd -e "DROP DATABASE IF EXISTS $DB_NAME; DROP DATABASE IF EXISTS $SECOND_DB_NAME" >/dev/null 2>&1 || true
  if $SUCCEEDED; then
    rm -rf "$WORK"
  else
    # Keep the logs for a post-mortem, but not gigabytes of test data.
    rm -rf "$WORK/s3/objects" "$WORK"/*.bin
    log "logs kept in $WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Politely first (the service shuts down gracefully), then by force.
stop_process() {
  local pid=$1 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && (( waited < 100 )); do
    sleep 0.1
    waited=$(( waited + 1 ))
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Drops a stopped process from PIDS, so that cleanup never signals a pid the system may have reused since.
forget_pid() {
  local pid kept=()
  for pid in "${PIDS[@]}"; do
    [[ $pid == "$1" ]] || kept+=("$pid")
  done
  PIDS=("${kept[@]}")
}

# A port the kernel just handed out and released; nothing else here binds ports at random meanwhile.
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# Waits until $1 answers HTTP at all (any status) while process $2 lives; $3 is its log, shown on failure.
await_http() {
  local url=$1 pid=$2 logfile=$3 deadline=$(( $(date +%s) + 180 ))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" || true) != 000 ]]; do
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$logfile" >&2; die "process $pid exited while starting"; }
    (( $(date +%s) < deadline )) || { tail -n 40 "$logfile" >&2; die "$url did not answer within 180 s"; }
    sleep 0.3
  done
}

start_s3proxy() {
  S3_PORT=$(free_port)
  mkdir -p "$WORK/s3/objects"
  cat >"$WORK/s3/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$WORK/s3/objects
EOF
  # Without a logback configuration S3Proxy logs at DEBUG and becomes very slow.
  cat >"$WORK/s3/logback.xml" <<'EOF'
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.eclipse.jetty" level="WARN"/>
  <logger name="org.gaul.shaded.org.eclipse.jetty" level="WARN"/>
  <logger name="jclouds" level="WARN"/>
  <logger name="org.jclouds" level="WARN"/>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
  java -Dlogback.configurationFile="$WORK/s3/logback.xml" -cp "$S3PROXY_JAR" org.gaul.s3proxy.Main \
    --properties "$WORK/s3/s3proxy.conf" >"$WORK/s3proxy.log" 2>&1 </dev/null &
  S3_PID=$!
  PIDS+=("$S3_PID")
  await_http "http://127.0.0.1:$S3_PORT/" "$S3_PID" "$WORK/s3proxy.log"
  log "S3Proxy on 127.0.0.1:$S3_PORT (pid $S3_PID)"
}

# Starts the service as variant $1 with the extra properties $2... (a fresh port each time: a restart must not race
# the old socket). BENCH_SERVICE_ARGS adds properties to every variant, e.g. --relay.transfer.part-size=32MB;
# BENCH_SERVICE_JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=/tmp/service.jfr to profile it.
start_service() {
  start_service_of "$SERVICE_JAR" "$DB_NAME" "$@"
}

# The same with the jar $1 on the database $2, then the variant and its properties.
start_service_of() {
  local jar=$1 db=$2 window=$3
  shift 3
  SERVICE_PORT=$(free_port)
  java ${BENCH_SERVICE_JAVA_OPTS:-} -jar "$jar" \
    --server.port="$SERVICE_PORT" --server.address=127.0.0.1 \
    --relay.embedded.enabled=false \
    --relay.db.host="$DB_HOST" --relay.db.port="$DB_PORT" --relay.db.name="$db" \
    --relay.db.username="$DB_USER" --relay.db.password="$DB_PASSWORD" \
    --relay.s3.endpoint="http://127.0.0.1:$S3_PORT" --relay.s3.access-key="$S3_ACCESS_KEY" \
    --relay.s3.secret-key="$S3_SECRET_KEY" --relay.s3.bucket="$S3_BUCKET" \
    --relay.security.jwt-secret="$JWT_SECRET" \
    --relay.security.registration-burst=100000 --relay.security.address-login-burst=100000 \
    --relay.connections.request-burst=100000 --relay.connections.write-burst=100000 \
    --relay.connections.max-per-user=100000 --relay.connections.max-streams=100000 \
    "$@" ${BENCH_SERVICE_ARGS:-} \
    >"$WORK/service-$window.log" 2>&1 </dev/null &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  await_http "http://127.0.0.1:$SERVICE_PORT/" "$SERVICE_PID" "$WORK/service-$window.log"
  log "service on 127.0.0.1:$SERVICE_PORT (pid $SERVICE_PID, variant: $window)"
}

start_tus() {
  TUS_PORT=$(free_port)
  TUS_PORT=$TUS_PORT S3_ENDPOINT="http://127.0.0.1:$S3_PORT" S3_ACCESS_KEY=$S3_ACCESS_KEY \
    S3_SECRET_KEY=$S3_SECRET_KEY S3_BUCKET=$S3_BUCKET \
    node "$BENCH_DIR/tus/server.mjs" >"$WORK/tus.log" 2>&1 </dev/null &
  TUS_PID=$!
  PIDS+=("$TUS_PID")
  await_http "http://127.0.0.1:$TUS_PORT/files" "$TUS_PID" "$WORK/tus.log"
  log "tus server on 127.0.0.1:$TUS_PORT (pid $TUS_PID)"
}

# Whether this kernel could add latency with netem, which a netns/veth setup would need; the harness uses its own
# userspace delay relay either way, so this only documents the choice in the report.
netem_status() {
  local ns=relay-bench-probe-$$ err
  if ! err=$(ip netns add "$ns" 2>&1); then
    echo "unavailable (ip netns add: $err)"
    return
  fi
  if err=$(ip netns exec "$ns" tc qdisc add dev lo root netem delay 20ms 2>&1); then
    echo "available"
  else
    echo "unavailable (tc qdisc add ... netem: ${err//$'\n'/ })"
  fi
  ip netns delete "$ns"
}

harness() {
  java -Dlogback.configurationFile="$BENCH_DIR/harness/logback.xml" -cp "$WORK/classes:$HARNESS_CP" Bench "$@"
}

log "size $SIZE_MIB MiB, $RUNS run(s) per figure, sections $SECTIONS, work dir $WORK"

if [[ ! -d $BENCH_DIR/tus/node_modules ]]; then
  log "installing the tus packages (npm ci in bench/tus)"
  npm ci --prefix "$BENCH_DIR/tus" --no-audit --no-fund >"$WORK/npm.log" 2>&1 \
    || { cat "$WORK/npm.log" >&2; die "npm ci failed"; }
fi

if has_section browser && [[ ! -d $BENCH_DIR/browser/node_modules ]]; then
  log "installing the browser section's packages (npm ci in bench/browser)"
  npm ci --prefix "$BENCH_DIR/browser" --no-audit --no-fund >"$WORK/npm-browser.log" 2>&1 \
    || { cat "$WORK/npm-browser.log" >&2; die "npm ci failed"; }
fi

# The harness runs on the libraries inside the service's runnable jar (web depends on the client): the Relay client
# (relay-client, relay-api) of the same build as the service, the MinIO SDK and Reactor, without the service's own
# modules. Nothing from the local Maven repository, so a fresh clone after `mvn package` (or the `mvn verify` that
# runs the quick benchmark) has all it needs.
mkdir -p "$WORK/lib"
(cd "$WORK/lib" && jar xf "$SERVICE_JAR" BOOT-INF/lib) || die "could not unpack the libraries of $SERVICE_JAR"
HARNESS_CP=$(ls "$WORK"/lib/BOOT-INF/lib/*.jar | grep -v -E '/relay-(streaming|embedded|infra|web)-' | paste -sd:)
javac -nowarn -d "$WORK/classes" -cp "$HARNESS_CP" "$BENCH_DIR"/harness/*.java \
  "$REPO/infra/src/test/java/dev/relay/infra/testing/DelayRelay.java" >"$WORK/javac.log" 2>&1 \
  || { cat "$WORK/javac.log" >&2; die "the harness does not compile"; }

# The fastest direct uploader here, the AWS SDK v2's multipart client (parts sent in parallel), runs in a JVM of its
# own on the SDK's libraries, which Maven resolves from bench/aws/pom.xml (its Netty must not meet the service's).
AWS_OPTIONS=()
if has_section throughput; then
  mvn -B -q -f "$BENCH_DIR/aws/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/aws.cp" \
    >"$WORK/aws-build.log" 2>&1 \
    && javac -nowarn -d "$WORK/aws-classes" -cp "$(cat "$WORK/aws.cp")" "$BENCH_DIR/aws/AwsUploads.java" \
      >>"$WORK/aws-build.log" 2>&1 \
    || { cat "$WORK/aws-build.log" >&2; die "the AWS SDK baseline (bench/aws) does not build"; }
  AWS_OPTIONS=(--aws-cp "$WORK/aws-classes:$(cat "$WORK/aws.cp")" --aws-log "$WORK/aws.log")
fi

head -c $(( SIZE_MIB << 20 )) /dev/urandom >"$WORK/file.bin"
head -c $(( WARMUP_MIB << 20 )) /dev/urandom >"$WORK/warmup.bin"
JWT_SECRET=$(head -c 48 /dev/urandom | base64 -w0)
mysql_cmd -e "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME;
  DROP DATABASE IF EXISTS $SECOND_DB_NAME; CREATE DATABASE $SECOND_DB_NAME"

start_s3proxy

measure() {
  harness measure --file "$WORK/file.bin" --warmup-file "$WORK/warmup.bin" --runs "$RUNS" \
    --warmup-mib "$WARMUP_BUDGET_MIB" --warmup-rounds "$WARMUP_ROUNDS" --results "$WORK/results.properties" \
    --service-url "http://127.0.0.1:$SERVICE_PORT" --service-pid "$SERVICE_PID" --s3-pid "$S3_PID" --tus-pid "$TUS_PID" \
    --s3-endpoint "http://127.0.0.1:$S3_PORT" --s3-access-key "$S3_ACCESS_KEY" --s3-secret-key "$S3_SECRET_KEY" \
    --s3-bucket "$S3_BUCKET" --tus-url "http://127.0.0.1:$TUS_PORT/files" --tus-client "$BENCH_DIR/tus/upload.mjs" \
    --browser-script "$BENCH_DIR/browser/run.mjs" --browser-log "$WORK/browser.log" --chromium "$CHROMIUM" \
    "${AWS_OPTIONS[@]}" "$@"
}
SERVICE_PID=
# Stops the service of the previous sections, if any.
stop_service() {
  if [[ -n $SERVICE_PID ]]; then
    stop_process "$SERVICE_PID"
    forget_pid "$SERVICE_PID"
    SERVICE_PID=
  fi
}

WINDOWS=adaptive
FIRST_SECTIONS=$(sections_of throughput pause latency download browser)
if [[ -n $FIRST_SECTIONS ]]; then
  SECOND_OPTIONS=()
  if $SECOND_RUNS; then
    # Measured side by side with the defaults, in the same runs (row 1b): by default 8 MiB parts (the default until
    # 2026-11-22), with the default part size (32 MiB) as room to run past them; or BENCH_SECOND_JAR/_ARGS.
    start_service_of "$SECOND_JAR" "$SECOND_DB_NAME" "$SECOND_LABEL" "${SECOND_ARGV[@]}"   # also creates the bucket
    SECOND_PORT=$SERVICE_PORT
    SECOND_PID=$SERVICE_PID
    SECOND_OPTIONS=(--second-service-url "http://127.0.0.1:$SECOND_PORT" --second-service-pid "$SECOND_PID"
      --second-window "$SECOND_LABEL")
  fi
  start_service adaptive   # the defaults (a one-chunk window growing to 16MB, 16 MiB parts within a 32 MiB part size)
  start_tus
  log "measuring with the default, adaptive credit window: $FIRST_SECTIONS${SECOND_OPTIONS[*]:+ (throughput and downloads also of the second service, $SECOND_LABEL)}"
  measure --window adaptive --sections "$FIRST_SECTIONS" "${SECOND_OPTIONS[@]}" \
    --embedded-java-opts "${BENCH_EMBEDDED_JAVA_OPTS:-}" --before-client-jar "$BEFORE_CLIENT_JAR"
  if $SECOND_RUNS; then
    stop_process "$SECOND_PID"
    forget_pid "$SECOND_PID"
  fi
fi

if has_section fixed-window; then
  log "${SERVICE_PID:+re}starting the service with the window fixed at 1MB, to show what the adaptation buys under latency"
  stop_service
  start_service fixed-1MB --relay.transfer.credit-window-max=1MB
  [[ -n ${TUS_PID:-} ]] || start_tus
  measure --window fixed-1MB --sections relay,latency
  WINDOWS=adaptive,fixed-1MB
fi

PAUSED_UPLOADS=${BENCH_PAUSED_UPLOADS:-1000}
OPEN_UPLOADS=${BENCH_OPEN_UPLOADS:-1000}
IDLE_CONNECTIONS=${BENCH_IDLE_CONNECTIONS:-10000}
BUFFER_BUDGET=${BENCH_BUFFER_BUDGET:-2GB}
LAST_SECTIONS=$(sections_of scaling memory)
if [[ -n $LAST_SECTIONS ]]; then
  log "${SERVICE_PID:+re}starting the service with room for $(( PAUSED_UPLOADS > OPEN_UPLOADS ? PAUSED_UPLOADS : OPEN_UPLOADS )) open uploads and $IDLE_CONNECTIONS connections (one user runs them all), a buffer budget of $BUFFER_BUDGET: $LAST_SECTIONS"
  stop_service
  # One user stands for many here (start_service_of lifts its limits on connections and requests).
  start_service memory \
    --relay.transfer.max-open-uploads-per-user=$(( (PAUSED_UPLOADS > OPEN_UPLOADS ? PAUSED_UPLOADS : OPEN_UPLOADS) + 100 )) \
    --relay.transfer.user-quota=1000TB --relay.transfer.buffer-budget="$BUFFER_BUDGET"
  [[ -n ${TUS_PID:-} ]] || start_tus
  measure --window memory --sections "$LAST_SECTIONS" --paused-uploads "$PAUSED_UPLOADS" \
    --open-uploads "$OPEN_UPLOADS" --idle-connections "$IDLE_CONNECTIONS"
fi

CHAT_LOST=false
CHAT_OPTIONS=()
if has_section chat; then
  log "${SERVICE_PID:+re}starting the service with the chat, request and registration limits out of the way: chat of $CHAT_USERS users at $CHAT_RATES msg/s, $CHAT_SECONDS s each"
  stop_service
  # Every limit a user or an address could hit here: what is measured is the node under load, not a rate limit.
  CHAT_ARGS=(--relay.chat.message-burst=1000000 --relay.chat.messages-per-minute=1000000
    --relay.connections.requests-per-minute=1000000 --relay.connections.writes-per-minute=1000000
    --relay.security.registrations-per-hour=1000000)
  start_service chat "${CHAT_ARGS[@]}"
  DB_PID=$(database_pid)
  [[ -n $DB_PID ]] || log "note: no database process found for $DB_HOST:$DB_PORT: its CPU is left out of the chat section"
  CHAT_STATUS=0
  harness chat --results "$WORK/results.properties" --service-url "http://127.0.0.1:$SERVICE_PORT" \
    --service-pid "$SERVICE_PID" --db-pid "${DB_PID:-0}" --users "$CHAT_USERS" --rates "$CHAT_RATES" \
    --seconds "$CHAT_SECONDS" --grace "$CHAT_GRACE" --settle-max "$CHAT_SETTLE" || CHAT_STATUS=$?
  case $CHAT_STATUS in
    0) ;;
    3) CHAT_LOST=true ;;   # the report is written first; the run fails at its end
    *) die "the chat section failed (harness exit $CHAT_STATUS)" ;;
  esac
  stop_service
  CHAT_OPTIONS=(--chat-setup "A service of its own (the jar above) with ${CHAT_ARGS[*]}; MariaDB $(mysql_cmd -N -B -e 'SELECT @@version' 2>/dev/null || echo '(version unknown)') at $DB_HOST:$DB_PORT${DB_PID:+ (pid $DB_PID)}, shared with whatever else uses that server; the harness (one JVM, one RSocket-over-WebSocket connection per user) on the same $(nproc) cores.")
fi

# deploy/haproxy.cfg with only the frontend's address and the servers replaced (node1, node2, ... on the given ports)
# and a stats socket added, as the tests' Haproxy does: balancing, readiness checks and timeouts are the shipped ones.
# Starts it as $1 (its log and socket are named after it) and sets HAPROXY_PORT, HAPROXY_PID, HAPROXY_SOCKET.
start_haproxy() {
  local name=$1 ports
  shift
  ports=$*
  HAPROXY_PORT=$(free_port)
  HAPROXY_SOCKET=$WORK/haproxy-$name.sock
  awk -v port="$HAPROXY_PORT" -v socket="$HAPROXY_SOCKET" -v ports="$ports" '
    /^[[:space:]]*global[[:space:]]*$/ { print; print "    stats socket " socket " mode 600 level admin"; next }
    /^[[:space:]]*bind[[:space:]]/ { print "    bind 127.0.0.1:" port; bound = 1; next }
    /^[[:space:]]*server[[:space:]]/ {
      if (!written) {
        n = split(ports, p, " ")
        for (i = 1; i <= n; i++) print "    server node" i " 127.0.0.1:" p[i]
        written = 1
      }
      next
    }
    { print }
    END { if (!bound || !written) exit 1 }' "$REPO/deploy/haproxy.cfg" >"$WORK/haproxy-$name.cfg" \
    || die "deploy/haproxy.cfg has no bind or no server line to replace"
  # -db: in the foreground, so that the pid is HAProxy's own.
  "$HAPROXY" -f "$WORK/haproxy-$name.cfg" -db >"$WORK/haproxy-$name.log" 2>&1 </dev/null &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  await_http "http://127.0.0.1:$HAPROXY_PORT/actuator/health/readiness" "$HAPROXY_PID" "$WORK/haproxy-$name.log"
  log "HAProxy on 127.0.0.1:$HAPROXY_PORT (pid $HAPROXY_PID) in front of 127.0.0.1:${ports// /, 127.0.0.1:}"
}

CLUSTER_OPTIONS=()
if has_section cluster; then
  log "${SERVICE_PID:+stopping the service; }starting two cluster nodes and HAProxy in front of them"
  stop_service
  # Chat limits out of the way: the chat part sends hundreds of messages a run. A cluster of this run only, so
  # another run or a test suite on the same Redis neither hears nor reaps its nodes.
  NODE_ARGS=(--relay.cluster.enabled=true --relay.cluster.name="bench-$$" --spring.data.redis.host="$REDIS_HOST"
    --spring.data.redis.port="$REDIS_PORT" --spring.data.redis.database="$REDIS_DATABASE"
    --relay.chat.message-burst=1000000 --relay.chat.messages-per-minute=1000000
    --relay.transfer.user-quota=1000TB --relay.transfer.max-open-uploads-per-user=1000)
  # One after the other: the first migrates the database (when no section before did).
  start_service cluster-a --relay.cluster.node-id="bench-a-$$" "${NODE_ARGS[@]}"
  NODE_A_PORT=$SERVICE_PORT
  NODE_A_PID=$SERVICE_PID
  start_service cluster-b --relay.cluster.node-id="bench-b-$$" "${NODE_ARGS[@]}"
  NODE_B_PORT=$SERVICE_PORT
  NODE_B_PID=$SERVICE_PID
  SERVICE_PID=
  start_haproxy two "$NODE_A_PORT" "$NODE_B_PORT"
  HAPROXY_TWO=(--haproxy-two-url "http://127.0.0.1:$HAPROXY_PORT" --haproxy-two-pid "$HAPROXY_PID"
    --haproxy-two-socket "$HAPROXY_SOCKET")
  start_haproxy one "$NODE_A_PORT"
  HAPROXY_ONE=(--haproxy-one-url "http://127.0.0.1:$HAPROXY_PORT" --haproxy-one-pid "$HAPROXY_PID"
    --haproxy-one-socket "$HAPROXY_SOCKET")
  CLUSTER_UPLOADS=${BENCH_CLUSTER_UPLOADS:-4}
  log "measuring the cluster: throughput of $CLUSTER_UPLOADS uploads at once, pause across nodes, chat latency"
  harness cluster --results "$WORK/results.properties" --file "$WORK/file.bin" --runs "$RUNS" \
    --warmup-file "$WORK/warmup.bin" --warmup-mib "$WARMUP_BUDGET_MIB" --warmup-rounds "$WARMUP_ROUNDS" \
    --uploads "$CLUSTER_UPLOADS" --messages "${BENCH_CLUSTER_MESSAGES:-500}" \
    --node-a-url "http://127.0.0.1:$NODE_A_PORT" --node-a-pid "$NODE_A_PID" \
    --node-b-url "http://127.0.0.1:$NODE_B_PORT" --node-b-pid "$NODE_B_PID" --s3-pid "$S3_PID" \
    "${HAPROXY_TWO[@]}" "${HAPROXY_ONE[@]}" \
    --s3-endpoint "http://127.0.0.1:$S3_PORT" --s3-access-key "$S3_ACCESS_KEY" --s3-secret-key "$S3_SECRET_KEY" \
    --s3-bucket "$S3_BUCKET"
  # The kill ends the node: A in the first run, a node started for it in each later one.
  DOOMED_PORT=$NODE_A_PORT
  DOOMED_PID=$NODE_A_PID
  for (( run = 1; run <= RUNS; run++ )); do
    if (( run > 1 )); then
      start_service "cluster-k$run" --relay.cluster.node-id="bench-k$run-$$" "${NODE_ARGS[@]}"
      DOOMED_PORT=$SERVICE_PORT
      DOOMED_PID=$SERVICE_PID
      SERVICE_PID=
    fi
    log "killed node $run/$RUNS: SIGKILL of the node on 127.0.0.1:$DOOMED_PORT (pid $DOOMED_PID)"
    harness cluster-kill --results "$WORK/results.properties" --doomed-url "http://127.0.0.1:$DOOMED_PORT" \
      --doomed-pid "$DOOMED_PID" --watcher-url "http://127.0.0.1:$NODE_B_PORT"
    { wait "$DOOMED_PID" || true; } 2>/dev/null   # reaps it, without bash's "Killed" notice
    forget_pid "$DOOMED_PID"
  done
  CLUSTER_OPTIONS=(--cluster-setup "Two cluster nodes of the same jar (relay.cluster.enabled=true; node A and node B), both on the database and S3 server above, Redis $(redis_version) at $REDIS_HOST:$REDIS_PORT (database $REDIS_DATABASE, cluster name bench-<pid>), chat rate limits raised out of the way; HAProxy $("$HAPROXY" -v 2>/dev/null | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p') with deploy/haproxy.cfg (round robin, readiness checks every 1 s), only its bind and server lines replaced, once in front of A and B and once in front of A alone; clients on 127.0.0.1 too.")
fi

MAIN_ORIGIN=$(jar_origin "$SERVICE_JAR")
SETUP="$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg). All on 127.0.0.1, one S3Proxy 4.1.0 (filesystem-nio2) for every variant. Relay $MAIN_ORIGIN: parts of 16MB within a part size of 32MB, chunk 256KB, credit window 256KB (adaptive)${BENCH_SERVICE_ARGS:+, service args: $BENCH_SERVICE_ARGS}"
REPORT_OPTIONS=()
has_section browser && REPORT_OPTIONS+=(--chromium-version "$("$CHROMIUM" --version 2>/dev/null | sed -n '1s/^Chromium \([^ ]*\).*/\1/p')")
if $SECOND_RUNS; then
  if $SECOND_OTHER_JAR; then
    SECOND_WHAT="another build, Relay $(jar_origin "$SECOND_JAR") at $SECOND_JAR"
  else
    SECOND_WHAT="the same jar"
  fi
  if [[ -n $SECOND_ARGS ]]; then
    SECOND_WHAT="$SECOND_WHAT, with $SECOND_ARGS"
  else
    SECOND_WHAT="$SECOND_WHAT, with no extra properties"
  fi
  SETUP="$SETUP. A second service ($SECOND_LABEL: row 1b, and section 6's second Relay row), measured in the same runs, on a database of its own: $SECOND_WHAT${BENCH_SERVICE_ARGS:+ (and the service args)}"
  # The direct upload with the same parts, when the second variant's properties set them.
  SECOND_PARTS=$(grep -o -E -- '--relay\.transfer\.preferred-part-size=(8|16)MB( |$)' <<<"$SECOND_ARGS " | tail -n 1 \
    | tr -dc 0-9 || true)
  REPORT_OPTIONS+=(--second-label "$SECOND_LABEL" --second-what "$SECOND_WHAT" --second-other-jar "$SECOND_OTHER_JAR"
    ${SECOND_PARTS:+--second-parts-mib "$SECOND_PARTS"}
    ${BEFORE_CLIENT_JAR:+--before-client-what "$(basename "$BEFORE_CLIENT_JAR")"})
fi
SETUP="$SETUP; JVM defaults except that service and client turn off Netty's per-access buffer checks in main() (NettyBufferChecks; not the embedded clients of row 1c), measured after a warm-up of at least $WARMUP_BUDGET_MIB MiB through each service, towards settled JIT compilers (WarmUp.run); the client's SHA-256 of the file is computed before the timed upload."
[[ $SECTIONS == "$DEFAULT_SECTIONS" ]] || SETUP="$SETUP Sections measured (BENCH_SECTIONS): $SECTIONS."
# Warnings of the service hint at engine trouble that the figures alone hide; ids are masked so repeats group.
SERVICE_WARNINGS=$(grep -h -E '^[0-9T:.-]+Z +(WARN|ERROR) ' "$WORK"/service-*.log \
  | sed -E 's/^[^ ]+ +([A-Z]+) .* : /\1 /; s/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/<id>/g' \
  | sort | uniq -c | sort -rn || true)
harness report --results "$WORK/results.properties" --out "$OUT" --size-mib "$SIZE_MIB" --runs "$RUNS" \
  --windows "$WINDOWS" --plot-name "$PLOT_NAME" --paused-uploads "$PAUSED_UPLOADS" \
  --open-uploads "$OPEN_UPLOADS" --idle-connections "$IDLE_CONNECTIONS" --buffer-budget "$BUFFER_BUDGET" \
  --commentary "$BENCH_DIR/commentary.md" "${REPORT_OPTIONS[@]}" "${CLUSTER_OPTIONS[@]}" "${CHAT_OPTIONS[@]}" \
  --setup "$SETUP" \
  --latency "Measured with a userspace TCP delay relay between client and server (infra/src/test/java/dev/relay/infra/testing/DelayRelay.java): the given round trip, no bandwidth limit, no kernel TCP dynamics. Kernel netem: $(netem_status)." \
  --service-log "${SERVICE_WARNINGS:-none}"

$CHAT_LOST && die "chat section: acknowledged messages were never delivered at a rate the node sustained (the report, $OUT, says which)"
SUCCEEDED=true
log "done in $(( $(date +%s) - STARTED_AT )) s; report written to $OUT"
