#!/usr/bin/env bash
# Measure (never assert) the timings written in docs/benchmarks.md.
# Needs the lab up (make lab). Prints a Markdown table to stdout.
#   - docker role: converge of a fresh dev host container (Molecule), and a
#     no-change re-run of the dev host play's docker role on the lab
#   - site.yml no-change re-run against the lab
#   - recovery after a Spot stop/start stand-in: restart of the lab's dev host
#     container until every stack service is healthy again
#   - the stack's memory use at idle
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
set -a
# shellcheck disable=SC1091
. .lab/images.env
set +a
export LAB_MOTO_PORT=${LAB_MOTO_PORT:-5005}
dev=itsupport-dev-devhost

secs() { local s=$SECONDS; "$@" >/dev/null 2>&1; echo $((SECONDS - s)); }
healthy_count() { docker exec "$dev" sh -c "docker ps --filter health=healthy -q | wc -l" 2>/dev/null || echo 0; }

(cd roles/docker && molecule create >/dev/null 2>&1)
fresh=$(cd roles/docker && secs molecule converge)
(cd roles/docker && molecule destroy >/dev/null 2>&1)
docker_rerun=$(secs ansible-playbook playbooks/devhost.yml --tags docker)
site_rerun=$(secs ansible-playbook site.yml)

docker restart "$dev" >/dev/null
start=$SECONDS
until [ "$(healthy_count)" -ge 3 ]; do sleep 1; done
recovery=$((SECONDS - start))
sleep 30
memory=$(docker exec "$dev" docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | sort | sed 's/^/  - /')

printf '| measure | seconds |\n|---|---|\n'
printf '| docker role, fresh dev host container (Molecule converge) | %s |\n' "$fresh"
printf '| docker role, no-change re-run on the lab dev host | %s |\n' "$docker_rerun"
printf '| site.yml, no-change re-run against the lab | %s |\n' "$site_rerun"
printf '| dev host restart until all 3 services healthy | %s |\n' "$recovery"
printf '\nIdle memory 30 s after the restart (docker stats):\n%s\n' "$memory"
