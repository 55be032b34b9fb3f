#!/usr/bin/env bash
# Prepare this machine for the lab and the tests. Safe to run again: every step
# checks before it acts, so a second run takes a few seconds.
#   - Debian packages: debootstrap (base images), python3-venv, shellcheck,
#     openssh-client, and Debian's docker.io when no Docker engine answers.
#   - A Docker engine: started in the background (detached, log in .lab/) if
#     none answers.
#   - .venv with the pinned toolchain (requirements.txt) and the collections
#     (requirements.yml, offline when the bundled ones satisfy it).
#   - With the argument `images`: the lab's images too (lab/images/build.sh),
#     built beside the .venv once the Docker engine answers (they need only
#     the engine and debootstrap), which saves the shorter of the two on a
#     new machine.
#   scripts/bootstrap.sh [images]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
mkdir -p "$root/.lab"
log() { printf '[bootstrap] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "apt-get install $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# 1. Debian packages.
pkgs=()
command -v debootstrap >/dev/null || pkgs+=(debootstrap)
python3 -c 'import ensurepip, venv' 2>/dev/null || pkgs+=(python3-venv)
if ! docker_answers; then
  command -v dockerd >/dev/null || pkgs+=(docker.io)
fi
# iptables is what the engine itself needs for its bridge networks.
command -v iptables >/dev/null || pkgs+=(iptables)
# The lint stage checks the shell scripts with shellcheck.
command -v shellcheck >/dev/null || pkgs+=(shellcheck)
# ssh and ssh-keygen: the lab is reached over SSH like production.
command -v ssh >/dev/null || pkgs+=(openssh-client)
# A container registry for the image platform tests (tests/integration/test_doctor.py).
command -v docker-registry >/dev/null || pkgs+=(docker-registry)
if [ ${#pkgs[@]} -gt 0 ]; then apt_install "${pkgs[@]}"; fi

# 2. Docker engine.
if ! docker_answers; then
  log "starting dockerd (log: .lab/dockerd.log)"
  as_root setsid nohup dockerd >"$root/.lab/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker_answers && break; sleep 1; done
  docker_answers || { log "dockerd did not start; see .lab/dockerd.log"; exit 1; }
fi

# The lab's images, in the background while the toolchain installs.
images_pid=
if [ "${1:-}" = images ]; then
  "$root/lab/images/build.sh" &
  images_pid=$!
fi

# 3. Python toolchain, reinstalled only when requirements.txt changes.
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -r requirements.txt (a few minutes the first time)"
  "$venv/bin/pip" install -q -r "$root/requirements.txt" >"$root/.lab/pip.log" 2>&1 ||
    { tail -n 20 "$root/.lab/pip.log" >&2; exit 1; }
  echo "$want" >"$stamp"
fi

# The opt-in Mitogen strategies, at the path ansible.cfg names.
mitogen_dir=$("$venv/bin/python" -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')
[ "$(readlink "$venv/mitogen" 2>/dev/null)" = "$mitogen_dir/plugins" ] || ln -sfn "$mitogen_dir/plugins" "$venv/mitogen"

# 4. Collections: the pinned bundle normally satisfies requirements.yml.
if ! "$venv/bin/ansible-galaxy" collection install -r "$root/requirements.yml" --offline >/dev/null 2>&1; then
  log "bundled collections do not satisfy requirements.yml; installing from Galaxy"
  "$venv/bin/ansible-galaxy" collection install -r "$root/requirements.yml"
fi
log "ready: $("$venv/bin/ansible" --version | sed -n 1p)"

if [ -n "$images_pid" ]; then
  wait "$images_pid" || { log "building the lab's images failed (output above)"; exit 1; }
fi
