#!/bin/bash
# First start of an empty InfluxDB 2.7 volume only: the influxdb:2.7 entrypoint runs this (mounted at
# /docker-entrypoint-initdb.d) after it created the org, the bucket and the admin token from
# DOCKER_INFLUXDB_INIT_*, with the influx CLI already configured and DOCKER_INFLUXDB_INIT_BUCKET_ID exported.
# zerocarbon speaks the v1 HTTP API (/write, /query; Debian ships InfluxDB 1.6), so map a v1 database onto
# the bucket (DBRP) and create the v1 user the services log in with (ZEROCARBON_INFLUX_USERNAME/_PASSWORD).
set -euo pipefail
: "${DOCKER_INFLUXDB_INIT_BUCKET_ID:?run by the influxdb:2.7 entrypoint at first start only}"
: "${DOCKER_INFLUXDB_INIT_ORG:?set DOCKER_INFLUXDB_INIT_ORG in deploy/influxdb.env}"
: "${ZEROCARBON_INFLUX_USERNAME:?set ZEROCARBON_INFLUX_USERNAME in deploy/.env}"
: "${ZEROCARBON_INFLUX_PASSWORD:?set ZEROCARBON_INFLUX_PASSWORD in deploy/.env}"
db=${ZEROCARBON_INFLUX_DB:-zerocarbon}
bucket=$DOCKER_INFLUXDB_INIT_BUCKET_ID
org=$DOCKER_INFLUXDB_INIT_ORG

influx v1 dbrp create --org "$org" --db "$db" --rp autogen --bucket-id "$bucket" --default
influx v1 auth create --org "$org" --username "$ZEROCARBON_INFLUX_USERNAME" \
  --password "$ZEROCARBON_INFLUX_PASSWORD" --read-bucket "$bucket" --write-bucket "$bucket" \
  --description "zerocarbon services (v1 API)"
echo "zerocarbon: v1 database '$db' -> bucket $bucket, v1 user '$ZEROCARBON_INFLUX_USERNAME' can read and write"
