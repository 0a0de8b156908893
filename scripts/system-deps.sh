#!/usr/bin/env bash
# Install the Debian packages a target needs, when they are missing and we are root; else print the one line to run.
#   scripts/system-deps.sh test   servers, browser, PDF tools and CJK font for the test suite
#   scripts/system-deps.sh demo   what the demo needs (PDF rendering libraries, CJK font)
#   scripts/system-deps.sh list test|demo   print the packages only (tests/ops/test_system_deps.py checks that
#                                 every executable the tree calls comes from one of them)
set -euo pipefail
target=${1:-test}
listing=0
if [ "$target" = list ]; then listing=1; target=${2:-test}; fi
demo_pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
test_pkgs=(mosquitto mosquitto-clients influxdb influxdb-client openssl git chromium chromium-driver poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim docker-compose "${demo_pkgs[@]}")
case "$target" in
  demo) pkgs=("${demo_pkgs[@]}") ;;
  test) pkgs=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 [list] demo|test" >&2; exit 2 ;;
esac
if [ "$listing" -eq 1 ]; then printf '%s\n' "${pkgs[@]}"; exit 0; fi
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
