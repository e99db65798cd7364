#!/usr/bin/env bash
# Make sure what the tests need outside Python is here: PostgreSQL 15 with PostGIS 3 answering on
# 127.0.0.1:5432, and Debian's chromium for the browser tests. Installs from Debian when missing.
set -euo pipefail

need=()
dpkg -s postgresql >/dev/null 2>&1 || need+=(postgresql)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
dpkg -s chromium >/dev/null 2>&1 || need+=(chromium)

if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || pg_ctlcluster "$cluster" main start
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
