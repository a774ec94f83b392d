#!/usr/bin/env bash
# Installs the Debian packages commons needs, only those missing. Uses sudo when not root; without
# root and without sudo it names the missing packages and the command to run as root, and fails.
set -euo pipefail
packages=(gcc make cmake pkg-config libcmocka-dev libinih-dev libopenblas-dev libsdl2-dev libgif-dev
          libstb-dev ffmpeg xvfb python3-numpy python3-cffi python3-pytest libopenmpi-dev
          openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: these Debian packages are missing: ${missing[*]}" >&2
    echo "install-deps: you are not root and there is no sudo; as root, run:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"
