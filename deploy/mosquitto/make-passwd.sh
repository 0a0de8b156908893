#!/bin/sh
# Write deploy/mosquitto/passwd (hashed) and deploy/mosquitto/acl from the MQTT users in an env file: the
# services' user (ZEROCARBON_MQTT_USERNAME/_PASSWORD: reads and writes everything, reads $SYS) and, when set,
# MQTT_GATEWAY_USERNAME/_PASSWORD for the building's IoT gateways (may only publish under zc/).
#   deploy/mosquitto/make-passwd.sh [deploy/.env]
# Needs mosquitto_passwd: Debian's mosquitto package, or run it inside the broker image:
#   docker compose run --rm --no-deps -v "$PWD/deploy:/deploy" mosquitto sh /deploy/mosquitto/make-passwd.sh /deploy/.env
set -eu
here=$(cd "$(dirname "$0")" && pwd)
env_file=${1:-$here/../.env}
out=${MOSQUITTO_PASSWD_FILE:-$here/passwd}
acl=${MOSQUITTO_ACL_FILE:-$here/acl}
[ -f "$env_file" ] || { echo "no env file $env_file: copy deploy/.env.example to deploy/.env and fill it" >&2; exit 1; }
value() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
user=$(value ZEROCARBON_MQTT_USERNAME)
pass=$(value ZEROCARBON_MQTT_PASSWORD)
[ -n "$user" ] && [ -n "$pass" ] || { echo "$env_file: set ZEROCARBON_MQTT_USERNAME and ZEROCARBON_MQTT_PASSWORD" >&2; exit 1; }
case "$pass" in CHANGE-ME*) echo "$env_file: ZEROCARBON_MQTT_PASSWORD is still the example value" >&2; exit 1 ;; esac
rm -f "$out"
touch "$out"
chmod 600 "$out"
mosquitto_passwd -b "$out" "$user" "$pass"
gw_user=$(value MQTT_GATEWAY_USERNAME)
gw_pass=$(value MQTT_GATEWAY_PASSWORD)
printf 'user %s\ntopic readwrite #\ntopic read $SYS/#\n' "$user" > "$acl"
if [ -n "$gw_user" ] && [ -n "$gw_pass" ]; then
  case "$gw_pass" in CHANGE-ME*) echo "$env_file: MQTT_GATEWAY_PASSWORD is still the example value" >&2; exit 1 ;; esac
  mosquitto_passwd -b "$out" "$gw_user" "$gw_pass"
  # every gateway template publishes under zc/ (config/templates/*.yaml); it reads nothing
  printf '\nuser %s\ntopic write zc/#\n' "$gw_user" >> "$acl"
fi
chmod 644 "$acl"
# the broker reads them as uid 1883 (user mosquitto in eclipse-mosquitto); 600 keeps the hashes private
if [ "$(id -u)" = 0 ]; then chown 1883:1883 "$out" "$acl"; fi
echo "wrote $out ($(wc -l < "$out") user(s)) and $acl"
