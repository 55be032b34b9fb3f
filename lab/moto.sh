#!/usr/bin/env bash
# Start or stop the lab's local AWS endpoint (moto server on loopback).
#   lab/moto.sh start [PORT]   start if nothing answers, then seed (idempotent)
#   lab/moto.sh expose ADDRESS [PORT]  also answer on ADDRESS:PORT (a lab
#                                      bridge address, for the instances)
#   lab/moto.sh stop [PORT]
# The Debian AMIs come from lab/moto/amis.json (moto reads MOTO_AMIS_PATH);
# lab/moto_server.py is moto's server with one ECS gap closed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?start|expose|stop}
if [ "$cmd" = expose ]; then
  address=${2:?expose needs an address}
  shift
fi
port=${2:-${LAB_MOTO_PORT:-5005}}
pidfile="$root/.lab/moto-$port.pid"
relay_pidfile="$root/.lab/moto-$port-relay.pid"
url="http://127.0.0.1:$port"
mkdir -p "$root/.lab"

answers() { "$root/.venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/', timeout=2)" "$url" 2>/dev/null; }

case $cmd in
  start)
    if ! answers; then
      MOTO_AMIS_PATH="$root/lab/moto/amis.json" setsid nohup "$root/.venv/bin/python" "$root/lab/moto_server.py" -H 127.0.0.1 -p "$port" \
        >"$root/.lab/moto-$port.log" 2>&1 </dev/null &
      echo $! >"$pidfile"
      for _ in $(seq 1 30); do answers && break; sleep 0.5; done
      answers || { echo "moto did not start; see .lab/moto-$port.log" >&2; exit 1; }
      echo "moto: started"
    fi
    "$root/.venv/bin/python" "$root/lab/moto_seed.py" "$url" >/dev/null
    echo "moto: $url"
    ;;
  expose)
    relay_answers() { "$root/.venv/bin/python" -c "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()" "$address" "$port" 2>/dev/null; }
    relay_answers && exit 0
    setsid nohup "$root/.venv/bin/python" "$root/lab/files/tcp_forward.py" "$address" "$port" 127.0.0.1 "$port" \
      >"$root/.lab/moto-$port-relay.log" 2>&1 </dev/null &
    echo $! >"$relay_pidfile"
    for _ in $(seq 1 20); do relay_answers && break; sleep 0.25; done
    relay_answers || { echo "the relay did not start; see .lab/moto-$port-relay.log" >&2; exit 1; }
    echo "moto: also on http://$address:$port"
    ;;
  stop)
    # By pid file, and any other lab endpoint on this port (one started from
    # another checkout of the project, say), so its state does not leak
    # into the next lab.
    for f in "$relay_pidfile" "$pidfile"; do
      [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
    done
    pkill -f "lab/files/tcp_forward.py [0-9.]+ $port 127.0.0.1 $port" || true
    if pkill -f "moto_server(\.py)? -H 127\.0\.0\.1 -p $port\$"; then echo "moto: stopped"; fi
    ;;
  *) echo "usage: $0 start|expose ADDRESS|stop [PORT]" >&2; exit 2 ;;
esac
