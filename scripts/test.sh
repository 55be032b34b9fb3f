#!/usr/bin/env bash
# Run the project's test stages and end with one summary line,
#   tests: N passed, N failed[, N skipped]
# where N counts test cases: every pytest and testinfra item (read from the
# JUnit XML each pytest run writes), each lint stage as one case, and a stage
# that failed without a failing item (a Molecule converge or idempotence
# step, say) as one failed case. Each stage's own output and summary stay
# visible above it.
# Usage: scripts/test.sh all|lint|unit|molecule
# Expects the environment the Makefile exports (PATH with .venv, PROJECT_ROOT).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
what=${1:-all}
# shellcheck disable=SC1091
[ -f .lab/images.env ] && set -a && . .lab/images.env && set +a
results=$root/.lab/test-results
rm -rf "$results"
mkdir -p "$results"

passed=0
failed=0
skipped=0
failures=()
n=0

# junit_counts FILE: "passed failed skipped" of one JUnit XML file.
junit_counts() {
  python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for suite in suites:
    t += int(suite.get("tests", 0))
    f += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    s += int(suite.get("skipped", 0))
print(t - f - s, f, s)
PY
}

stage() { # stage NAME COMMAND...
  local name=$1 start rc xml p=0 f=0 s=0
  shift
  n=$((n + 1))
  xml="$results/stage-$n.xml"
  printf '\n=== %s\n' "$name"
  start=$(date +%s)
  PYTEST_ADDOPTS="--junitxml=$xml" "$@"
  rc=$?
  if [ -f "$xml" ]; then
    read -r p f s < <(junit_counts "$xml")
    # A failure outside any test item (setup, converge, idempotence).
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  elif [ "$rc" -eq 0 ]; then
    p=1
  else
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if [ "$rc" -eq 0 ]; then
    printf '=== %s: PASS, %d passed (%ss)\n' "$name" "$p" "$(($(date +%s) - start))"
  else
    failures+=("$name")
    printf '=== %s: FAIL rc=%s, %d passed, %d failed (%ss)\n' "$name" "$rc" "$p" "$f" "$(($(date +%s) - start))"
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
  stage "shellcheck" shellcheck .ci/run scripts/*.sh lab/*.sh lab/images/build.sh
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
if [ "$skipped" -gt 0 ]; then
  printf 'tests: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
  printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
fi
[ "${#failures[@]}" -eq 0 ]
