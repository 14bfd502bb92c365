#!/bin/sh
# Tools of the SDK's meson test (toolchain/sdk/sdk.test.ts) only: a system clang and
# wasm-ld of LLVM 18 or newer (the task layout needs wasm-ld's --no-growable-memory; Debian
# 12's default clang is 14, so clang-NN/lld-NN are used), llvm-ar, meson, ninja and
# pkg-config. `rampart build` needs none of them (it compiles with the bundled clang).
#
# Idempotent: says what it installs. On success prints, on stdout, the lines
#   CLANG=<clang command>  AR=<llvm-ar command>
# Exit status 0 when everything is there, 3 when it is missing and cannot be installed
# here (no apt-get, not root): the test then skips with this script's message.
set -eu

# Several test files may run this at once (vitest runs files in parallel): one at a time, so
# a second run waits for the first's apt-get and then finds everything installed.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/rampart-ensure-meson-tools.lock"
  flock 9
fi

find_llvm() {
  # The newest clang >= 18 whose wasm-ld and llvm-ar are installed too.
  for v in 24 23 22 21 20 19 18; do
    if command -v "clang-$v" >/dev/null 2>&1 && command -v "wasm-ld-$v" >/dev/null 2>&1 && command -v "llvm-ar-$v" >/dev/null 2>&1; then
      echo "$v"; return 0
    fi
  done
  if command -v clang >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1 && command -v llvm-ar >/dev/null 2>&1; then
    major=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    if [ -n "$major" ] && [ "$major" -ge 18 ]; then echo ""; return 0; fi
  fi
  return 1
}

missing=""
for tool in meson ninja pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
llvm=""
if llvm=$(find_llvm); then have_llvm=1; else have_llvm=0; fi

if [ -n "$missing" ] || [ "$have_llvm" -eq 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-meson-tools: missing:$missing$( [ "$have_llvm" -eq 0 ] && echo ' clang/lld >= 18'); no apt-get here: install them with your system's package manager" >&2
    exit 3
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
      echo "ensure-meson-tools: missing:$missing$( [ "$have_llvm" -eq 0 ] && echo ' clang/lld >= 18'); run as root: apt-get install -y meson ninja-build pkg-config clang-19 lld-19 llvm-19" >&2
      exit 3
    fi
  fi
  packages=""
  for tool in $missing; do
    case "$tool" in
      ninja) packages="$packages ninja-build" ;;
      *) packages="$packages $tool" ;;
    esac
  done
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  if [ "$have_llvm" -eq 0 ]; then
    # The newest LLVM >= 18 that apt offers (Debian 12: clang-19 in main, newer in security).
    for v in 24 23 22 21 20 19 18; do
      if apt-cache show "clang-$v" >/dev/null 2>&1 && apt-cache show "lld-$v" >/dev/null 2>&1; then
        packages="$packages clang-$v lld-$v llvm-$v"; break
      fi
    done
  fi
  if [ -z "$packages" ]; then
    echo "ensure-meson-tools: apt offers no clang >= 18; install one by hand" >&2
    exit 3
  fi
  echo "ensure-meson-tools: installing$packages (apt-get)" >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq $packages >/dev/null
  llvm=$(find_llvm) || { echo "ensure-meson-tools: installed$packages but found no usable clang/wasm-ld/llvm-ar >= 18" >&2; exit 3; }
else
  echo "ensure-meson-tools: meson, ninja, pkg-config and clang/lld ${llvm:-(default)} already installed" >&2
fi

if [ -n "$llvm" ]; then
  echo "CLANG=clang-$llvm AR=llvm-ar-$llvm"
else
  echo "CLANG=clang AR=llvm-ar"
fi
