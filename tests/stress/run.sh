#!/usr/bin/env bash
# tests/stress/run.sh [ITERATIONS [ROUNDS]] - the long pass of the fault
# campaigns (the suite runs a short one): ITERATIONS kill -9 iterations
# (1000 by default) and ROUNDS interface give-back rounds (100), against
# daemons of their own, with the build in $BUILD (build/ by default).
#
#   tests/stress/run.sh 1000 100
#   BUILD=build-san tests/stress/run.sh 300 30
set -u
cd "$(dirname "$0")/../.." || exit 2
case "${1:-1000}${2:-100}" in *[!0-9]*) echo "run.sh: ITERATIONS and ROUNDS are numbers" >&2; exit 2 ;; esac
STRESS_ITERATIONS=${1:-1000} GIVEBACK_ROUNDS=${2:-100} exec tests/integration/stress.sh
