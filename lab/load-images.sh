#!/usr/bin/env bash
# Copy images from this machine's Docker engine into the engine nested in a
# lab container (there is no registry): docker save | docker exec -i … load.
# Images the nested engine already has are skipped.
#   lab/load-images.sh CONTAINER IMAGE...
set -euo pipefail
container=$1
shift
missing=()
for image in "$@"; do
  docker exec "$container" docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if [ ${#missing[@]} -gt 0 ]; then
  docker save "${missing[@]}" | docker exec -i "$container" docker load
  echo "loaded: ${missing[*]}"
fi
