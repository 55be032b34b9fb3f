#!/usr/bin/env bash
# Build, or reuse from the local Docker cache, every image the lab and the
# Molecule scenarios need. No registry is involved: the base image is a
# debootstrap tree imported into Docker, the others are built FROM it.
#
# Each image is tagged with a hash of its recipe (and of its parent's tag), so a
# changed recipe gives a new tag and an unchanged one costs a `docker image
# inspect`. The resulting names are written to .lab/images.env for make,
# Molecule and the tests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${LAB_IMAGE_PREFIX:-itsupport-lab}
out="$root/.lab/images.env"
mkdir -p "$root/.lab"

log() { printf '[images] %s\n' "$*" >&2; }

# recipe_hash DIR [EXTRA]: short hash of every file under DIR plus EXTRA.
recipe_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; printf '%s\n' "${2:-}") |
    sha256sum | cut -c1-12
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_base() {
  local dir="$here/base" tag name tree
  tag=$(recipe_hash "$dir" "$(uname -m)")
  name="$prefix/base:$tag"
  if have_image "$name"; then
    log "reuse $name"
  else
    # shellcheck disable=SC1091
    . "$dir/recipe.env"
    tree=$(mktemp -d /var/tmp/lab-base.XXXXXX)
    log "debootstrap $SUITE into $tree (about a minute)"
    debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tree" "$MIRROR" >"$root/.lab/debootstrap.log" 2>&1 ||
      { tail -n 20 "$root/.lab/debootstrap.log" >&2; exit 1; }
    # A container image needs no apt caches; keep the lists so the first
    # apt task in a test can use cache_valid_time instead of a full update.
    rm -rf "$tree/var/cache/apt/archives/"*.deb
    tar -C "$tree" -c . | docker import -c 'CMD ["/bin/bash"]' - "$name" >/dev/null
    rm -rf "$tree"
    log "built $name"
  fi
  echo "$name"
}

# build_derived NAME PARENT: docker build of lab/images/NAME FROM PARENT.
build_derived() {
  local dir="$here/$1" parent=$2 tag name
  tag=$(recipe_hash "$dir" "$parent")
  name="$prefix/$1:$tag"
  if have_image "$name"; then
    log "reuse $name"
  else
    log "build $name"
    docker build -q --build-arg "BASE=$parent" -t "$name" "$dir" >/dev/null
  fi
  echo "$name"
}

base=$(build_base)
{
  echo "LAB_IMAGE_BASE=$base"
  for d in "$here"/*/; do
    n=$(basename "$d")
    [ "$n" = base ] && continue
    [ -f "$d/Dockerfile" ] || continue
    var=LAB_IMAGE_$(echo "$n" | tr 'a-z-' 'A-Z_')
    echo "$var=$(build_derived "$n" "$base")"
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
log "image names written to ${out#"$root"/}"
