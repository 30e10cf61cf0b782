#!/usr/bin/env bash
# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
#
# The streaming replica: the first time, a base backup of the primary
# (pg_basebackup -R writes standby.signal); then postgres as a hot standby.
# Its arguments (primary_conninfo...) come from docker-compose.yml.
set -euo pipefail
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is required}"
# A password file rather than the password in primary_conninfo, which
# pg_stat_wal_receiver and postgresql.auto.conf would show.
export PGPASSFILE=/var/lib/postgresql/.pgpass
(umask 077 && echo "*:*:*:replicator:$REPLICATION_PASSWORD" > "$PGPASSFILE")
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h db-primary -p 5432; do sleep 1; done
    pg_basebackup -h db-primary -p 5432 -U replicator -D "$PGDATA" \
        -X stream -S replica1 -R --checkpoint=fast
    chmod 700 "$PGDATA"
fi
exec postgres "$@"
