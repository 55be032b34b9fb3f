#!/usr/bin/env bash
# Run the project's test stages and end with one summary line,
# "tests: N passed, N failed". Usage: scripts/test.sh all|lint|unit|molecule
# Expects the environment the Makefile exports (PATH with .venv, PROJECT_ROOT).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-all}
# shellcheck disable=SC1091
[ -f .lab/images.env ] && set -a && . .lab/images.env && set +a

passed=0
failed=0
failures=()
stage() { # stage NAME COMMAND...
  local name=$1 start rc
  shift
  printf '\n=== %s\n' "$name"
  start=$(date +%s)
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    printf '=== %s: PASS (%ss)\n' "$name" "$(($(date +%s) - start))"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '=== %s: FAIL rc=%s (%ss)\n' "$name" "$rc" "$(($(date +%s) - start))"
  fi
}

scenarios() { # role-dir:scenario pairs, roles first, then the site scenarios
  local d
  for d in roles/*/molecule/*/ molecule/*/; do
    [ -f "$d/molecule.yml" ] || continue
    echo "${d%/}"
  done
}

molecule_scenario() { # molecule_scenario roles/x/molecule/name
  local dir=$1 project scenario
  scenario=$(basename "$dir")
  project=$(dirname "$(dirname "$dir")")
  (cd "$project" && molecule test -s "$scenario")
}

if [[ $what == all || $what == lint ]]; then
  stage "yamllint --strict" yamllint --strict .
  stage "ansible-lint (production profile)" ansible-lint --profile production
fi
if [[ $what == all || $what == unit ]]; then
  stage "pytest tests/" pytest -q -p no:cacheprovider tests/
fi
if [[ $what == all || $what == molecule ]]; then
  for s in $(scenarios); do
    stage "molecule ${s}" molecule_scenario "$s"
  done
fi

printf '\n'
for f in "${failures[@]}"; do printf 'FAILED: %s\n' "$f"; done
printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
