#!/usr/bin/env bash
# Relay's fault-injection suite (issue #4), full run, and its report.
#
#   bench/faults.sh [--quick] [extra maven arguments...]
#
# Runs the JUnit classes under web/src/test/java/dev/relay/web/faults against the real service, MariaDB and S3
# server (as `mvn verify` does), with -Drelay.faults.full=true: 20 kills of the service in each of four setups,
# 50 TCP cuts, 30 s S3 and database outages, and every bad-input case. Tests disabled for known server bugs run
# too (JUnit's DisabledCondition is switched off), so their outcome stays on record. Then it rewrites the results
# block of docs/reliability.md from web/target/faults/*.tsv (one line per case, written by the tests).
#
# --quick runs the CI subset instead (what `mvn verify` runs) and leaves the docs alone unless FAULTS_WRITE_DOCS=1.
# FAULTS_SEED fixes the random choices (sizes, kill points, cut points); by default a new seed is drawn and
# printed. MVN_OFFLINE=-o (the default) runs Maven offline; set it empty to allow downloads.
# Exit status: 0 if every case passed except those recorded as known bugs, 1 otherwise.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOC=$REPO/docs/reliability.md
RESULTS=$REPO/web/target/faults
FULL=true
if [[ ${1:-} == --quick ]]; then
  FULL=false
  shift
fi
SEED=${FAULTS_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000 ))}
MVN_OFFLINE=${MVN_OFFLINE--o}

log() { printf '[faults %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

COMMAND=(mvn -B $MVN_OFFLINE -pl web -am verify "-Dtest=dev.relay.web.faults.*IntegrationTests"
  -Dsurefire.failIfNoSpecifiedTests=false "-Drelay.faults.full=$FULL" "-Drelay.faults.seed=$SEED"
  "-Djunit.jupiter.conditions.deactivate=org.junit.*DisabledCondition" -Drelay.bench.skip=true "$@")
rm -rf "$RESULTS"
mkdir -p "$REPO/web/target"
STARTED=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "seed $SEED; $(printf "%q " "${COMMAND[@]}")"
set +e
(cd "$REPO" && "${COMMAND[@]}") > >(tee "$REPO/web/target/faults-maven.log" | grep --line-buffered -E '^\[(INFO|ERROR|WARNING)\] (Tests run|BUILD|Running)' >&2)
MAVEN_STATUS=$?
set -e
ELAPSED=$(( $(date +%s) - STARTED ))
log "maven finished with status $MAVEN_STATUS after ${ELAPSED}s"

shopt -s nullglob
FILES=("$RESULTS"/*.tsv)
(( ${#FILES[@]} > 0 )) || { log "no results in $RESULTS"; exit 1; }

# Columns: case, tried, passed, figures, mode, seed, kind (case | known bug).
TABLE=$(mktemp)
{
  echo "| Case | Tried | Passed | Figures |"
  echo "|---|---:|---:|---|"
  sort "${FILES[@]}" | awk -F'\t' '$7 != "known bug" { printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
  if sort "${FILES[@]}" | awk -F'\t' '$7 == "known bug" { found = 1 } END { exit !found }'; then
    echo
    echo "Known server bugs (tests marked \`@Disabled\`, run here anyway; they pass once the bug is fixed):"
    echo
    echo "| Case | Tried | Passed | Figures |"
    echo "|---|---:|---:|---|"
    sort "${FILES[@]}" | awk -F'\t' '$7 == "known bug" { printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
  fi
} > "$TABLE"
cat "$TABLE" >&2

FAILED=$(cat "${FILES[@]}" | awk -F'\t' '$7 != "known bug" && $2 != $3 { n++ } END { print n + 0 }')
if [[ $FULL == true || ${FAULTS_WRITE_DOCS:-0} == 1 ]]; then
  BLOCK=$(mktemp)
  {
    echo "<!-- faults:begin (written by bench/faults.sh; edit the text around it, not this block) -->"
    echo "Run of $(date -u +%Y-%m-%d) ($([[ $FULL == true ]] && echo full || echo quick)), seed $SEED, on $(nproc) shared"
    echo "cores (load average $LOAD_BEFORE at the start), $(( ELAPSED / 60 )) min $(( ELAPSED % 60 )) s:"
    echo
    echo '```'
    echo "bench/faults.sh  # = FAULTS_SEED=$SEED $(printf "%q " "${COMMAND[@]}")"
    echo '```'
    echo
    cat "$TABLE"
    echo "<!-- faults:end -->"
  } > "$BLOCK"
  if [[ -f $DOC ]] && grep -q '<!-- faults:begin' "$DOC"; then
    awk -v block="$BLOCK" '
      /<!-- faults:begin/ { while ((getline line < block) > 0) print line; skip = 1; next }
      /<!-- faults:end -->/ { skip = 0; next }
      !skip { print }' "$DOC" > "$DOC.new"
    mv "$DOC.new" "$DOC"
  else
    { echo "# Reliability"; echo; cat "$BLOCK"; } > "$DOC"
  fi
  log "wrote $DOC"
fi
if (( FAILED > 0 )); then
  log "$FAILED case(s) failed beyond the known bugs; see web/target/faults-maven.log and web/target/surefire-reports"
  exit 1
fi
log "every case passed except the known bugs"
