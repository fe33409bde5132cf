#!/usr/bin/env bash
# Puts an LNSP system under test against idx-sim and runs the LNSP eligibility suite — what
# github-actions.yml runs, and what you run on your laptop. From the idx-sim checkout:
#
#   bash examples/ci/lnsp-eligibility.sh                       # the reference client as the system under test
#   LNSP_COMMAND="java -jar my-lnsp.jar" bash examples/ci/lnsp-eligibility.sh
#
# Your command gets the hub's URL, CA, LNSPNORTH's certificate and key and URM user in IDX_URL, IDX_CA,
# IDX_CERT, IDX_KEY, IDX_CLIENT_ID, IDX_CLIENT_SECRET. Exit code: the scenario run's (0 passed, 1 failed,
# 2 invalid scenario files, 3 hub unreachable). Reports: reports/eligibility/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${IDX_SIM_PORT:-8443}
DATA=${IDX_SIM_DATA_DIR:-$(mktemp -d)}
SUBJECT=${SUBJECT:-LNSPNORTH}
OUT=${OUT:-reports/eligibility}
export IDX_URL="https://127.0.0.1:$PORT" IDX_CA=certs/ca/ca.crt
export IDX_CERT=certs/participants/$SUBJECT/primary.crt IDX_KEY=certs/participants/$SUBJECT/primary.key
export IDX_PARTICIPANT=$SUBJECT IDX_CLIENT_ID=$(echo "$SUBJECT" | tr 'A-Z' 'a-z')-api IDX_CLIENT_SECRET=$(echo "$SUBJECT" | tr 'A-Z' 'a-z')-secret
LNSP_COMMAND=${LNSP_COMMAND:-node examples/lnsp-client/lnsp-client.mjs --interval 500 --max-wait 1}

[ -f dist/src/cli/main.js ] || npm run build
# The hub on a frozen simulated clock (the suite moves it), its own database, the fixtures' participants.
IDX_SIM_PORT=$PORT IDX_SIM_DATA_DIR=$DATA IDX_SIM_LOG_LEVEL=warn IDX_SIM_CLOCK_START=2026-07-02T09:00:00.000+10:00 IDX_SIM_CLOCK_FROZEN=true \
  node bin/idx-sim.js start > "$DATA/idx-sim.log" 2>&1 &
HUB=$!
SYSTEM=
trap 'kill $SYSTEM $HUB 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  curl -sf --cacert "$IDX_CA" "$IDX_URL/sim/v1/ready" > /dev/null 2>&1 && break
  sleep 0.5
done
curl -sf --cacert "$IDX_CA" "$IDX_URL/sim/v1/ready" > /dev/null || { echo "idx-sim did not start:"; cat "$DATA/idx-sim.log"; exit 3; }

# The system under test, pointed at the hub.
$LNSP_COMMAND > "$DATA/lnsp.log" 2>&1 &
SYSTEM=$!

set +e
node bin/idx-sim.js scenario run scenarios/eligibility/lnsp --url "$IDX_URL" --subject "$SUBJECT" --out "$OUT"
CODE=$?
set -e
echo "system under test log: $DATA/lnsp.log"
exit $CODE
