#!/usr/bin/env bash
# Ensures a Rust toolchain that can build Rampart tasks (target wasm32-unknown-unknown).
#
# Idempotent: does nothing when one is already there (a rustup toolchain with the wasm32
# standard library, or Debian's rustc with libstd-rust-dev-wasm32 and its linker). Otherwise
# installs Debian 12's packages, which need no other network than the Debian archive:
#   rustc, cargo                Rust 1.63 compiler and package manager
#   libstd-rust-dev-wasm32      the wasm32 standard library for that compiler
#   lld-14                      the WebAssembly linker rustc runs as rust-lld
# Needs root, or sudo without a password (apt-get). Exit status 0 when a usable toolchain is present afterwards.
set -euo pipefail

say() { printf 'ensure-rust: %s\n' "$*" >&2; }

PACKAGES=(rustc cargo libstd-rust-dev-wasm32 lld-14)
TARGET=wasm32-unknown-unknown

# True when the rustc at $1 has the wasm32 core library in its sysroot.
has_wasm32_std() {
    local sysroot
    sysroot=$("$1" --print sysroot 2>/dev/null) || return 1
    compgen -G "$sysroot/lib/rustlib/$TARGET/lib/libcore-*.rlib" >/dev/null
}

find_toolchain() {
    local name rustc
    if command -v rustup >/dev/null 2>&1; then
        while read -r name _; do
            [ -n "$name" ] || continue
            rustc=$(env -u RUSTUP_TOOLCHAIN rustup which --toolchain "$name" rustc 2>/dev/null) || continue
            if has_wasm32_std "$rustc"; then
                echo "rustup toolchain $name"
                return 0
            fi
        done < <(env -u RUSTUP_TOOLCHAIN rustup toolchain list 2>/dev/null)
    fi
    if [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && has_wasm32_std /usr/bin/rustc \
        && { [ -x /usr/bin/rust-lld ] || [ -x /usr/bin/lld-14 ]; }; then
        echo "Debian rustc $(/usr/bin/rustc --version | cut -d' ' -f2)"
        return 0
    fi
    return 1
}

if found=$(find_toolchain); then
    say "a Rust toolchain for $TARGET is already installed ($found)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    say "no Rust toolchain for $TARGET and no apt-get; install Rust with the $TARGET target"
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
    else
        say "no Rust toolchain for $TARGET; run as root (or with sudo):"
        say "  apt-get update && apt-get install -y ${PACKAGES[*]}"
        exit 1
    fi
fi

say "installing Debian packages: ${PACKAGES[*]} (Rust 1.63 with the $TARGET standard library and rust-lld)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

if found=$(find_toolchain); then
    say "ready: $found"
else
    say "installed ${PACKAGES[*]} but still found no usable toolchain"
    exit 1
fi
