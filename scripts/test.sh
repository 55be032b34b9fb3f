#!/usr/bin/env bash
# Run the project's test stages and end with one summary line,
#   tests: N passed, N failed[, N skipped]
# where N counts test cases: every pytest and testinfra item (read from the
# JUnit XML each pytest run writes), each lint stage as one case, and a stage
# that failed without a failing item (a Molecule converge or idempotence
# step, say) as one failed case. Each stage's own output and summary stay
# visible above it.
# Usage: scripts/test.sh all|lint|unit|integration|molecule
# unit: tests/unit, seconds, no container or moto server.
# integration: the other pytest suites, against moto servers of their own.
# `all` starts the site scenario in the background, then runs lint and the
# controller-side pytest suites beside it, then the role scenarios together
# (they share nothing: moto on ports of their own, each scenario's own
# containers and networks), all of them at a lower priority than the site
# scenario.
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

# cpu_ticks: "busy idle" clock ticks of all the machine's CPUs so far.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
read -r busy0 idle0 < <(cpu_ticks)
# The containers' share (cgroup v1 CPU accounting of Docker's cgroup, where
# the machine has it): nanoseconds so far.
docker_ns() { cat /sys/fs/cgroup/cpuacct/docker/cpuacct.usage 2>/dev/null || echo 0; }
docker0=$(docker_ns)

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

stage() { # stage NAME COMMAND...: run it here, output as it comes
  local name=$1 start rc
  shift
  n=$((n + 1))
  printf '\n=== %s\n' "$name"
  start=$(date +%s)
  (
    PYTEST_ADDOPTS="--junitxml=$results/stage-$n.xml" "$@"
    rc=$?
    times >"$results/stage-$n.times"
    exit "$rc"
  )
  rc=$?
  account "$name" "$n" "$rc" "$start"
}

# stage_start NAME COMMAND...: the same, in the background (output to a
# file); stage_wait NAME waits for one of them; stage_finish_all waits for
# the rest, then prints each one's output and summary in the order they
# started.
bg_names=() bg_ns=() bg_pids=() bg_starts=() bg_rcs=()
stage_start() {
  local name=$1
  shift
  n=$((n + 1))
  printf '\n=== %s: started in the background, output follows at the end\n' "$name"
  bg_names+=("$name")
  bg_ns+=("$n")
  bg_starts+=("$(date +%s)")
  bg_rcs+=("")
  (
    PYTEST_ADDOPTS="--junitxml=$results/stage-$n.xml" "$@" >"$results/stage-$n.log" 2>&1
    rc=$?
    date +%s >"$results/stage-$n.end"
    times >"$results/stage-$n.times"
    exit "$rc"
  ) &
  bg_pids+=("$!")
}
stage_wait() {
  local i rc
  for i in "${!bg_names[@]}"; do
    if [[ ${bg_names[$i]} == "$1" && -z ${bg_rcs[$i]} ]]; then
      rc=0
      wait "${bg_pids[$i]}" || rc=$?
      bg_rcs[i]=$rc
      printf '=== %s: ended (rc=%s), output follows at the end\n' "$1" "$rc"
    fi
  done
}
stage_finish_all() {
  local i
  for i in "${!bg_names[@]}"; do
    stage_wait "${bg_names[$i]}"
    printf '\n=== %s\n' "${bg_names[$i]}"
    cat "$results/stage-${bg_ns[$i]}.log"
    account "${bg_names[$i]}" "${bg_ns[$i]}" "${bg_rcs[$i]}" "${bg_starts[$i]}" "$(cat "$results/stage-${bg_ns[$i]}.end")"
  done
}

cpu_seconds() { # cpu_seconds N: user+sys seconds of stage N's processes (bash's times, children's line;
  # the lab's containers run under dockerd and are not counted)
  awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, t, "m"); n += t[1] * 60 + t[2] } printf "%d", n }' \
    "$results/stage-$1.times" 2>/dev/null || printf '?'
}

account() { # account NAME N RC START [END]: add a finished stage's counts
  local name=$1 xml="$results/stage-$2.xml" rc=$3 start=$4 end=${5:-$(date +%s)} p=0 f=0 s=0
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
    printf '=== %s: PASS, %d passed (%ss, cpu %ss)\n' "$name" "$p" "$((end - start))" "$(cpu_seconds "$2")"
  else
    failures+=("$name")
    printf '=== %s: FAIL rc=%s, %d passed, %d failed (%ss, cpu %ss)\n' "$name" "$rc" "$p" "$f" "$((end - start))" \
      "$(cpu_seconds "$2")"
  fi
}

# cpu_group NAME WEIGHT: make (or reuse) a CPU cgroup of that relative
# weight (1024: a normal process) and print its directory; fails where
# there is none to make (no root, a read-only or unknown cgroup layout).
cpu_group() {
  local name=$1 weight=$2 dir
  if [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then # cgroup v1
    dir=/sys/fs/cgroup/cpu/$name
    mkdir -p "$dir" 2>/dev/null && echo "$weight" >"$dir/cpu.shares" 2>/dev/null && echo "$dir"
  elif grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then # cgroup v2
    dir=/sys/fs/cgroup/$name
    mkdir -p "$dir" 2>/dev/null && echo "$((weight * 100 / 1024))" >"$dir/cpu.weight" 2>/dev/null && echo "$dir"
  else
    return 1
  fi
}

# in_cgroup DIR COMMAND...: run COMMAND (and everything it starts) in the
# cgroup DIR.
in_cgroup() {
  local dir=$1
  shift
  echo "$BASHPID" >"$dir/cgroup.procs" 2>/dev/null || true
  "$@"
}

scenarios() { # role-dir:scenario pairs, roles first, then the site scenarios
  local d
  for d in roles/*/*/molecule/*/ molecule/*/; do
    [ -f "$d/molecule.yml" ] || continue
    echo "${d%/}"
  done
}

molecule_scenario() { # molecule_scenario roles/x/molecule/name [PREFIX...], e.g. nice -n 5
  local dir=$1 project scenario
  shift
  scenario=$(basename "$dir")
  project=$(dirname "$(dirname "$dir")")
  (cd "$project" && "$@" molecule test -s "$scenario")
}

# `all` starts the site scenario first and runs the other stages beside it
# at a lower priority: lint and the integration stage in a CPU cgroup of low
# weight (below), the role scenarios niced (the NAT role's firewall
# confirmation window is 30 seconds of the controller's time, so they are
# not starved).
low=()
bg=()
if [[ $what == all ]]; then
  low=(nice -n 10)
  bg=(nice -n 5)
  # nice alone does not make room for the site scenario: the kernel weighs
  # each session (autogroup; each moto server starts one) and the lab's
  # containers (Docker's cgroup) as one entity apiece, whatever the nice
  # value. A CPU cgroup of a low weight does: lint and the integration
  # stage run in it, taking whatever CPU the site scenario leaves, all of
  # it when the site scenario waits. Where the machine has no writable
  # cgroup, the stages run as before.
  low_group=$(cpu_group itsupport-tests-low 128) && low=(in_cgroup "$low_group" nice -n 10)
  for s in $(scenarios); do
    [[ $s == roles/* ]] || stage_start "molecule ${s}" molecule_scenario "$s"
  done
fi
if [[ $what == all || $what == unit ]]; then
  # Seconds, no container or moto server: a mistake in the shared code shows first.
  stage "pytest tests/unit" pytest -q -p no:cacheprovider tests/unit
fi
if [[ $what == all || $what == lint ]]; then
  stage "yamllint --strict" "${low[@]}" yamllint --strict .
  stage "ansible-lint (production profile)" "${low[@]}" ansible-lint --profile production
  stage "shellcheck" "${low[@]}" shellcheck .ci/run scripts/*.sh lab/*.sh lab/images/build.sh
fi
if [[ $what == all ]]; then
  # The machine has two cores and every stage is mostly Ansible. The site
  # scenario alone keeps about one core busy and is the longest, so it
  # starts first, at normal priority; lint and the controller-side pytest
  # suites (two workers, moto on ports of their own) run beside it in the
  # low-weight cgroup; the role scenarios (their own containers, networks
  # and Molecule directories) start together as soon as the site scenario
  # or pytest ends, to fill the core it leaves. Measured in
  # docs/benchmarks.md ("make test, stage by stage").
  stage_start "pytest tests/integration (moto)" "${low[@]}" pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 tests/integration
  first_end=("$results/stage-$n.end")
  for i in "${!bg_names[@]}"; do
    [[ ${bg_names[$i]} == "molecule molecule/"* ]] && first_end+=("$results/stage-${bg_ns[$i]}.end")
  done
  until [ -n "$(ls "${first_end[@]}" 2>/dev/null)" ]; do sleep 5; done
  for s in $(scenarios); do
    [[ $s == roles/* ]] && stage_start "molecule ${s}" molecule_scenario "$s" "${bg[@]}"
  done
  stage_finish_all
  [ -z "${low_group:-}" ] || rmdir "$low_group" 2>/dev/null || true
fi
if [[ $what == integration ]]; then
  stage "pytest tests/integration (moto)" pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 tests/integration
fi
if [[ $what == molecule ]]; then
  for s in $(scenarios); do
    stage "molecule ${s}" molecule_scenario "$s"
  done
fi

printf '\n'
read -r busy1 idle1 < <(cpu_ticks)
printf "the machine's %s CPUs were busy %s %% of the run" "$(nproc)" \
  "$(((busy1 - busy0) * 100 / (busy1 - busy0 + idle1 - idle0 + 1)))"
docker1=$(docker_ns)
if [ "$docker1" -gt 0 ]; then
  printf "; the containers used %s CPU seconds of it\n" "$(((docker1 - docker0) / 1000000000))"
else
  printf '\n'
fi
for f in "${failures[@]}"; do printf 'FAILED: %s\n' "$f"; done
if [ "$skipped" -gt 0 ]; then
  printf 'tests: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
  printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
fi
[ "${#failures[@]}" -eq 0 ]
