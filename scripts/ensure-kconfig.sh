#!/bin/sh
# Make sure kconfiglib (Debian's python3-kconfiglib) is importable by a Python that
# `rampart` can run: every prj.conf and task.conf is read by kconfiglib through
# toolchain/config/kconfig_driver.py, and `rampart menuconfig` runs its menuconfig.
# Idempotent: says what it installs, and does nothing when kconfiglib is already there.
# Installs with apt-get, so it needs root (or sudo) on Debian/Ubuntu.
set -eu

# Debian's python3 first: a pyenv or venv python3 earlier on PATH does not see
# Debian's dist-packages (the same order as toolchain/config/kconfig.ts).
for py in /usr/bin/python3 python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import kconfiglib' >/dev/null 2>&1; then
    echo "ensure-kconfig: kconfiglib already installed ($py, kconfiglib $("$py" -c 'import kconfiglib; print(".".join(map(str, kconfiglib.VERSION)))'))" >&2
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-kconfig: kconfiglib is missing; install it with your system's package manager (Debian: python3-kconfiglib; elsewhere: pip install kconfiglib)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-kconfig: kconfiglib is missing; run as root: apt-get update && apt-get install -y python3-kconfiglib" >&2
    exit 1
  fi
fi

echo "ensure-kconfig: installing python3-kconfiglib (apt-get)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-kconfiglib >/dev/null
/usr/bin/python3 -c 'import kconfiglib' 
echo "ensure-kconfig: installed: kconfiglib $(/usr/bin/python3 -c 'import kconfiglib; print(".".join(map(str, kconfiglib.VERSION)))') for /usr/bin/python3" >&2
