#!/bin/sh
# Make sure the devicetree compiler (dtc) and the C preprocessor (cpp) that
# `rampart build` runs on board.dts are installed. Idempotent: says what it installs,
# and does nothing when both are already there. Installs Debian's
# device-tree-compiler (and cpp) with apt-get, so it needs root on Debian/Ubuntu.
set -eu

missing=""
command -v dtc >/dev/null 2>&1 || missing="$missing device-tree-compiler"
command -v cpp >/dev/null 2>&1 || missing="$missing cpp"

if [ -z "$missing" ]; then
  echo "ensure-dtc: dtc and cpp already installed ($(dtc --version 2>/dev/null | head -n 1))" >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-dtc: missing:$missing; install them with your system's package manager" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-dtc: missing:$missing; run as root: apt-get update && apt-get install -y$missing" >&2
    exit 1
  fi
fi

echo "ensure-dtc: installing$missing (apt-get)" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
echo "ensure-dtc: installed: $(dtc --version | head -n 1)" >&2
