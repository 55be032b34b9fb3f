#!/usr/bin/env bash
# The main job against the local lab.
#   scripts/lab.sh up        create (if needed), converge, show
#   scripts/lab.sh create    moto + seed, the lab containers, SSH key and known_hosts,
#                            the stack's stand-in images saved for the dev host's
#                            engine (it loads them when it starts: no registry)
#   scripts/lab.sh converge  ansible-playbook site.yml
#   scripts/lab.sh show      what runs where, how to reach it, how to remove it
#   scripts/lab.sh down      remove the containers, networks, moto and known_hosts
# The site scenario (molecule/default) uses create and down too.
# Expects the Makefile's environment (make lab / make lab-down).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export LAB_MOTO_PORT=${LAB_MOTO_PORT:-5005}
# The controller's AWS modules reach the lab's moto through the SDK's own setting.
export AWS_ENDPOINT_URL=http://127.0.0.1:$LAB_MOTO_PORT
# Image names of the stand-ins (lab/images/build.sh).
set -a
# shellcheck disable=SC1091
. .lab/images.env
set +a
devhost=itsupport-dev-devhost

# -i localhost,: the lab's aws_ec2 inventory needs the moto server this starts.
create() { ansible-playbook -i localhost, lab/up.yml; }

converge() { ansible-playbook site.yml; }

get() { .venv/bin/python -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())' "$1"; }

show() {
  echo
  echo "== The private subnet gets out through the NAT instance"
  seen=$(docker exec "$devhost" python3 -c \
    "import urllib.request; print(urllib.request.urlopen('http://10.20.1.100:8080/', timeout=5).read().decode().strip())")
  echo "dev host (10.20.2.30) -> internet host 10.20.1.100: the internet host saw ${seen}"
  if [ "$seen" != "10.20.1.10" ]; then
    echo "FAIL: expected the NAT instance's public-side address 10.20.1.10" >&2
    exit 1
  fi
  echo
  echo "== The stack on the dev host"
  docker exec "$devhost" docker ps --format '{{.Names}}: {{.Status}}'
  echo
  echo "== Reach it from this machine"
  echo "council (Spring Boot):  http://127.0.0.1:8080/actuator/health -> $(get http://127.0.0.1:8080/actuator/health)"
  echo "homepage (Django):      http://127.0.0.1:8000/health/ -> $(get http://127.0.0.1:8000/health/)"
  echo "SSH, as Ansible does:   ansible nat -m ansible.builtin.ping; ansible devhost -m ansible.builtin.ping"
  echo "                        (the dev host through the NAT as jump host; key and known_hosts in .lab/ssh/)"
  echo "Re-run the main job:    make lab   (or: AWS_ENDPOINT_URL=http://127.0.0.1:$LAB_MOTO_PORT .venv/bin/ansible-playbook site.yml)"
  echo "Remove the lab:         make lab-down"
}

case ${1:-up} in
  up) create; converge; show ;;
  create | converge | show) "$1" ;;
  down) ansible-playbook -i localhost, lab/down.yml ;;
  *) echo "usage: $0 up|create|converge|show|down" >&2; exit 2 ;;
esac
