#!/usr/bin/env bash
# Install the Debian packages a target needs, when they are missing and we are root; else print the one line to run.
#   scripts/system-deps.sh test   servers, browser, PDF tools and CJK font for the test suite
#   scripts/system-deps.sh demo   what the demo needs (PDF rendering libraries, CJK font)
set -euo pipefail
target=${1:-test}
demo_pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
test_pkgs=(mosquitto influxdb chromium chromium-driver poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim docker-compose "${demo_pkgs[@]}")
case "$target" in
  demo) pkgs=("${demo_pkgs[@]}") ;;
  test) pkgs=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages; run:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
