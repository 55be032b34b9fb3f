#!/usr/bin/env bash
# The main job against the local lab.
#   scripts/lab.sh up     moto + seed, lab containers, ansible-playbook site.yml,
#                         then show a private client getting out through the NAT
#   scripts/lab.sh down   remove the containers, networks and moto server
# Expects the Makefile's environment (make lab / make lab-down).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export LAB_MOTO_PORT=${LAB_MOTO_PORT:-5005}
# Image names of the stand-ins (lab/images/build.sh).
set -a
# shellcheck disable=SC1091
. .lab/images.env
set +a

case ${1:-up} in
  up)
    lab/moto.sh start "$LAB_MOTO_PORT"
    ansible-playbook lab/lab.yml
    # The stack's images can only be loaded once the dev host has its engine:
    # converge everything but the stack, load them, then run site.yml whole.
    ansible-playbook site.yml --skip-tags app_stack
    lab/load-images.sh itsupport-dev-devhost "$LAB_IMAGE_MYSQL_STANDIN" "$LAB_IMAGE_SPRING_STANDIN" "$LAB_IMAGE_DJANGO_STANDIN"
    ansible-playbook site.yml
    echo
    echo "== Does the private client get out through the NAT instance?"
    seen=$(docker exec lab-client python3 -c \
      "import urllib.request; print(urllib.request.urlopen('http://10.20.1.100:8080/', timeout=5).read().decode().strip())")
    echo "lab-client (10.20.2.20) -> internet host 10.20.1.100: the internet host saw ${seen}"
    if [ "$seen" = "10.20.1.10" ]; then
      echo "OK: masqueraded to the NAT instance's public-side address 10.20.1.10"
    else
      echo "FAIL: expected 10.20.1.10" >&2
      exit 1
    fi
    echo
    echo "== The dev host's Docker engine (nested in the lab container)"
    docker exec itsupport-dev-devhost docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'
    docker exec itsupport-dev-devhost docker compose version
    echo
    echo "== The stack on the dev host"
    docker exec itsupport-dev-devhost docker ps --format '{{.Names}}: {{.Status}}'
    docker exec itsupport-dev-devhost python3 -c \
      "import urllib.request; print('council /actuator/health:', urllib.request.urlopen('http://127.0.0.1:8080/actuator/health', timeout=5).read().decode())"
    ;;
  down)
    ansible-playbook lab/lab.yml -e lab_state=absent
    lab/moto.sh stop "$LAB_MOTO_PORT"
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
