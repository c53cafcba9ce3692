#!/usr/bin/env bash
# Installs the Debian 12 packages onetake builds and tests with. Non-interactive; run as root (or with sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(
  build-essential cmake pkg-config git
  libglib2.0-dev libjson-glib-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-x fonts-dejavu-core
  libavcodec-dev libavformat-dev libavutil-dev ffmpeg
  libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libssl-dev minisign xvfb
  python3 python3-numpy time bc
  liblo-dev liblo-tools libltc-dev libebur128-dev
  clang libclang-rt-14-dev mediaconch mkvtoolnix nginx-light libnginx-mod-rtmp strace iproute2
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages are installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
