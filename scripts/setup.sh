#!/usr/bin/env bash
# Installs what lanmeet needs to build, run and test on Debian 12 (as root).
# avahi-daemon is installed but never started here: on a real LAN start it
# with your init system; the tests start their own, inside a network
# namespace they create (tests/with-avahi.sh).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libenet-dev libavahi-client-dev libturbojpeg0-dev portaudio19-dev
  libsdl2-dev libsdl2-ttf-dev libopus-dev libspeexdsp-dev libsodium-dev
  libx11-dev libxext-dev
  avahi-daemon avahi-utils dbus iproute2 tcpdump
  libasound2-dev libasound2-plugins libpulse-dev pulseaudio pulseaudio-utils
  python3 clang libclang-rt-14-dev libjpeg-turbo-progs ffmpeg
  fonts-dejavu-core xvfb xdotool x11-utils xterm x11vnc tigervnc-viewer
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root to install: ${missing[*]}" >&2
  exit 1
fi

# Keep package scripts from starting avahi-daemon (or any service) in this
# machine's own network: a policy-rc.d that says no, for this install only.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
