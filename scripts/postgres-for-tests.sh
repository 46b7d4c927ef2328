#!/usr/bin/env bash
# Make sure a local PostgreSQL 15 is installed and running, with a role that may create
# test databases; print the database URL for CLEARWATER_TEST_DATABASE_URL.
# Installs postgresql-15 with apt-get when absent (needs root).  The password is made
# fresh on every run (nothing secret is kept in the repository).
set -euo pipefail
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "installing PostgreSQL 15 (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql-15 >&2
fi
if ! pg_lsclusters -h 2>/dev/null | awk '$1 == "15" && $2 == "main"' | grep -q .; then
  pg_createcluster 15 main >&2
fi
if ! pg_lsclusters -h | awk '$1 == "15" && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster 15 main start >&2
fi
PORT=$(pg_lsclusters -h | awk '$1 == "15" && $2 == "main" {print $3}')
PW=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
su postgres -c "psql -q -p $PORT -v ON_ERROR_STOP=1" >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clearwater_test') THEN
    CREATE ROLE clearwater_test LOGIN CREATEDB;
  END IF;
END \$\$;
ALTER ROLE clearwater_test PASSWORD '$PW';
SQL
echo "postgres://clearwater_test:$PW@127.0.0.1:$PORT/postgres"
