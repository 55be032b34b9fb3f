#!/usr/bin/env bash
# Measure (never assert) the timings written in docs/benchmarks.md.
# Needs the lab up (make lab). Prints Markdown to stdout.
#   1. The everyday re-run: a no-change `site.yml` against the lab, once per
#      setting, side by side with Ansible's stock settings running every
#      task (ratio to that), with and without the roles' skipping.
#   2. docker role: converge of a fresh dev host container (Molecule).
#   3. Recovery after a Spot stop/start stand-in: restart of the lab's dev
#      host container until every stack service is healthy again.
#   4. The stack's memory use at idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
set -a
# shellcheck disable=SC1091
. .lab/images.env
set +a
export LAB_MOTO_PORT=${LAB_MOTO_PORT:-5005}
# The controller's AWS modules reach the lab's moto through the SDK's own setting.
export AWS_ENDPOINT_URL=http://127.0.0.1:$LAB_MOTO_PORT
dev=itsupport-dev-devhost
bench=.lab/bench
mkdir -p "$bench"

# Ansible's stock settings: only what finds the inventory, the roles and the
# project's own plugins and modules.
cat >"$bench/stock.cfg" <<CFG
[defaults]
inventory = $root/inventories/lab
roles_path = $root/roles/aws:$root/roles/host
filter_plugins = $root/plugins/filter
library = $root/plugins/modules
action_plugins = $root/plugins/action
module_utils = $root/plugins/module_utils
lookup_plugins = $root/plugins/lookup
CFG

# The configuration as two plays, one host after the other (the project's
# layout before playbooks/configure.yml), for comparison. At the root, so it
# loads the same group_vars as site.yml; removed on exit.
serial=.bench-serial-site.yml
trap 'rm -f "$serial"' EXIT
printf -- '---\n- import_playbook: playbooks/provision.yml\n- import_playbook: playbooks/nat.yml\n- import_playbook: playbooks/devhost.yml\n' >"$serial"

# rerun LABEL PLAYBOOK [VAR=VALUE...] -- [ANSIBLE-PLAYBOOK ARGS...]: one
# no-change run; prints "seconds changed".
rerun() {
  local label=$1 playbook=$2 start secs changed
  local -a envs=()
  shift 2
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  start=$(date +%s%N)
  env "${envs[@]}" ansible-playbook "$playbook" "$@" >"$bench/$label.log" 2>&1 || { echo "site.yml failed ($label), see $bench/$label.log" >&2; exit 1; }
  secs=$(( ($(date +%s%N) - start) / 100000000 ))
  changed=$(grep -Eo 'changed=[0-9]+' "$bench/$label.log" | cut -d= -f2 | paste -sd+ | python3 -c 'print(eval(input()))')
  printf '%d.%d %s\n' $((secs / 10)) $((secs % 10)) "$changed"
}

# Warm-up: a first run may still change something after a restart; the
# second records every role (docs/converge-skip.md).
ansible-playbook site.yml >"$bench/warmup.log" 2>&1
ansible-playbook site.yml >"$bench/warmup2.log" 2>&1

# The levers one by one. "every task" (-e full_run=true) is how every run
# went before the roles skipped what is provably done: the baseline is
# Ansible's stock settings running every task.
every=(-e full_run=true)
read -r stock stock_changed < <(rerun stock site.yml "ANSIBLE_CONFIG=$root/$bench/stock.cfg" -- "${every[@]}")
read -r serial_s serial_changed < <(rerun serial "$serial" "ANSIBLE_CONFIG=$root/ansible.cfg" -- "${every[@]}")
read -r nopipe nopipe_changed < <(rerun no-pipelining site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" ANSIBLE_PIPELINING=False -- "${every[@]}")
read -r free free_changed < <(rerun free site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" ANSIBLE_STRATEGY=free -- "${every[@]}")
read -r tuned tuned_changed < <(rerun tuned site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" -- "${every[@]}")
read -r mitogen_every mitogen_every_changed < <(rerun mitogen-every site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" ANSIBLE_STRATEGY=mitogen_linear -- "${every[@]}")
read -r stock_skip stock_skip_changed < <(rerun stock-skip site.yml "ANSIBLE_CONFIG=$root/$bench/stock.cfg" --)
read -r project project_changed < <(rerun project site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" --)
read -r mitogen mitogen_changed < <(rerun mitogen site.yml "ANSIBLE_CONFIG=$root/ansible.cfg" ANSIBLE_STRATEGY=mitogen_linear --)

ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$1" "$stock"; }
# shellcheck disable=SC2016  # backquotes are Markdown here
printf '| no-change `site.yml` against the lab | seconds | changed | ratio to stock |\n|---|---|---|---|\n'
# shellcheck disable=SC2016  # backquotes are Markdown here
printf '| Ansible stock settings (linear, no pipelining), every task (`-e full_run=true`) | %s | %s | 1.00 |\n' "$stock" "$stock_changed"
printf '| project ansible.cfg, every task, NAT then dev host in two plays (the layout before configure.yml) | %s | %s | %s |\n' "$serial_s" "$serial_changed" "$(ratio "$serial_s")"
printf '| project ansible.cfg without pipelining, every task | %s | %s | %s |\n' "$nopipe" "$nopipe_changed" "$(ratio "$nopipe")"
printf '| project ansible.cfg with strategy free, every task | %s | %s | %s |\n' "$free" "$free_changed" "$(ratio "$free")"
printf '| project ansible.cfg (pipelining, ControlPersist, one configure play), every task | %s | %s | %s |\n' "$tuned" "$tuned_changed" "$(ratio "$tuned")"
# shellcheck disable=SC2016  # backquotes are Markdown here
printf '| project + Mitogen (`ANSIBLE_STRATEGY=mitogen_linear`), every task | %s | %s | %s |\n' "$mitogen_every" "$mitogen_every_changed" "$(ratio "$mitogen_every")"
printf '| Ansible stock settings, roles skipping what is provably done | %s | %s | %s |\n' "$stock_skip" "$stock_skip_changed" "$(ratio "$stock_skip")"
printf '| **project default: ansible.cfg + roles skipping what is provably done** | %s | %s | %s |\n' "$project" "$project_changed" "$(ratio "$project")"
# shellcheck disable=SC2016  # backquotes are Markdown here
printf '| project default + Mitogen (opt-in) | %s | %s | %s |\n' "$mitogen" "$mitogen_changed" "$(ratio "$mitogen")"

secs() { local s=$SECONDS; "$@" >/dev/null 2>&1; echo $((SECONDS - s)); }
healthy_count() { docker exec "$dev" sh -c "docker ps --filter health=healthy -q | wc -l" 2>/dev/null || echo 0; }

(cd roles/host/docker && molecule create >/dev/null 2>&1)
fresh=$(cd roles/host/docker && secs molecule converge)
(cd roles/host/docker && molecule destroy >/dev/null 2>&1)

docker restart "$dev" >/dev/null
start=$SECONDS
until [ "$(healthy_count)" -ge 3 ]; do sleep 1; done
recovery=$((SECONDS - start))
sleep 30
memory=$(docker exec "$dev" docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | sort | sed 's/^/  - /')

printf '\n| measure | seconds |\n|---|---|\n'
printf '| docker role, fresh dev host container (Molecule converge) | %s |\n' "$fresh"
printf '| dev host restart until all 3 services healthy | %s |\n' "$recovery"
printf '\nIdle memory 30 s after the restart (docker stats):\n%s\n' "$memory"
