#!/usr/bin/env bash
# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
#
# Run once by the postgres image when the primary's data directory is new
# (/docker-entrypoint-initdb.d): the role and slot of the streaming replica,
# and pg_trgm for the trigram indexes of the letter search.
set -euo pipefail
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is required}"
psql -v ON_ERROR_STOP=1 -v password="$REPLICATION_PASSWORD" \
        --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
-- The slot keeps the WAL the replica has not received yet (a replica that
-- was down catches up instead of needing a new base backup).
SELECT pg_create_physical_replication_slot('replica1');
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
# The replica connects over the compose network only
echo "host replication replicator samenet scram-sha-256" >> "$PGDATA/pg_hba.conf"
