#!/usr/bin/env bash
# Installs the Debian packages commons needs, only those missing. Uses sudo when not root.
set -euo pipefail
packages=(gcc make cmake pkg-config libcmocka-dev libinih-dev libopenblas-dev libsdl2-dev libgif-dev
          libstb-dev ffmpeg xvfb python3-numpy python3-cffi python3-pytest)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"
