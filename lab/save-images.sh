#!/usr/bin/env bash
# Save the stack's stand-in images from this machine's Docker engine into
# DIR/stack.tar (there is no registry): the dev host's engine loads them
# when it starts (lab/files/lab-load-stack-images, bind-mounted DIR).
# DIR/stack.ids records what the tar holds; it is written again only when
# an image changed. Prints "saved" when it wrote the tar.
#   lab/save-images.sh DIR IMAGE...
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
ids=$(docker image inspect --format '{{.Id}}' "$@" | paste -sd ' ')
if [ -f "$dir/stack.tar" ] && [ "$(cat "$dir/stack.ids" 2>/dev/null)" = "$ids" ]; then
  exit 0
fi
rm -f "$dir/stack.ids"
docker save --output "$dir/stack.tar.part" "$@"
mv "$dir/stack.tar.part" "$dir/stack.tar"
printf '%s\n' "$@" >"$dir/stack.names"
printf '%s\n' "$ids" >"$dir/stack.ids"
echo saved
