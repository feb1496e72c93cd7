#!/usr/bin/env bash
# Installs the temporal-bridge C library for C/C++ consumers:
#   <prefix>/include/temporal_bridge.h
#   <prefix>/lib/libtemporal_bridge.so.<ABI major> (its soname), the
#   libtemporal_bridge.so link to it, libtemporal_bridge.a
#   <prefix>/lib/pkgconfig/temporal_bridge.pc
#   <prefix>/lib/cmake/temporal_bridge/temporal_bridgeConfig{,Version}.cmake
#
# Usage: ffi/install.sh [--prefix DIR] [--profile release|debug] [--no-build]
#   --prefix   where to install (default /usr/local)
#   --profile  which cargo build to install (default release)
#   --no-build install what target/<profile> already has
set -euo pipefail

ffi="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$ffi/.." && pwd)"
prefix=/usr/local
profile=release
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --profile) profile="$2"; shift 2 ;;
        --profile=*) profile="${1#*=}"; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$profile" in
    release) cargo_flags=(--release) ;;
    debug) cargo_flags=() ;;
    *) echo "install.sh: --profile must be release or debug" >&2; exit 2 ;;
esac

if [[ $build == 1 ]]; then
    (cd "$repo" && cargo build -p temporal-bridge-ffi ${cargo_flags[@]+"${cargo_flags[@]}"})
fi
built="${CARGO_TARGET_DIR:-$repo/target}/$profile"
for f in libtemporal_bridge.so libtemporal_bridge.a; do
    [[ -f "$built/$f" ]] || { echo "install.sh: $built/$f missing; build first" >&2; exit 1; }
done
version="$(cd "$repo" && cargo pkgid -p temporal-bridge-ffi | sed 's/.*[#@]//')"

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/temporal_bridge"
install -m 644 "$repo/include/temporal_bridge.h" "$prefix/include/"
# The file is named by its soname (the ABI major); the unversioned link is
# what `-ltemporal_bridge` finds at link time.
soname="$(readelf -d "$built/libtemporal_bridge.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
[[ "$soname" == libtemporal_bridge.so.* ]] || { echo "install.sh: $built/libtemporal_bridge.so has no versioned soname" >&2; exit 1; }
rm -f "$prefix/lib/libtemporal_bridge.so" "$prefix/lib/$soname"
install -m 755 "$built/libtemporal_bridge.so" "$prefix/lib/$soname"
ln -s "$soname" "$prefix/lib/libtemporal_bridge.so"
install -m 644 "$built/libtemporal_bridge.a" "$prefix/lib/"
sed "s/@VERSION@/$version/g; s/@SONAME@/$soname/g" "$ffi/pkgconfig/temporal_bridge.pc.in" \
    > "$prefix/lib/pkgconfig/temporal_bridge.pc"
for f in temporal_bridgeConfig temporal_bridgeConfigVersion; do
    sed "s/@VERSION@/$version/g; s/@SONAME@/$soname/g" "$ffi/cmake/$f.cmake.in" \
        > "$prefix/lib/cmake/temporal_bridge/$f.cmake"
done
echo "install.sh: installed temporal_bridge $version ($profile) into $prefix" >&2
