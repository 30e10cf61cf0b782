# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Issue 15: bin/backup and bin/restore as the Diskominfo administrator runs
them, on the demo database of ``esurat`` (SQLite, or PostgreSQL in CI)
while its server runs.

The backup restores into a new database and filestore as the same
instance: the rows of every table, the content of every file a record
points to, and the signed letter, which the restored server hands out and
pyHanko validates against the restored CA. A file changed in the backup
stops the restore, which names it; an existing database is never
overwritten."""
import configparser
import hashlib
import json
import shutil
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from trytond.modules.esurat_base.tests.tools import free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / '.venv' / 'bin' / 'python'
TRYTOND = ROOT / '.venv' / 'bin' / 'trytond'

# The content of every file a record points to, read through Tryton's
# filestore: {"model,id,field": sha256}
FILES = """\
import hashlib
import json
import sys

from sql import Column, Null

from trytond.filestore import filestore
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.esurat_base.filestore import store_prefix

database = sys.argv[1]
pool = Pool(database)
pool.init()
result = {}
with Transaction().start(database, 0, readonly=True) as transaction:
    cursor = transaction.connection.cursor()
    Issue = pool.get('esurat.filestore.issue')
    for Model, name, _ in Issue.filestore_models():
        field = Model._fields[name]
        table = Model.__table__()
        cursor.execute(*table.select(table.id, Column(table, field.file_id),
                where=Column(table, field.file_id) != Null))
        for record_id, file_id in cursor.fetchall():
            if file_id:
                data = filestore.get(file_id, prefix=store_prefix(field))
                result[f'{Model.__name__},{record_id},{name}'] = (
                    hashlib.sha256(data).hexdigest())
print(json.dumps(result))
"""


class Instance:
    "A database and its filestore as a configuration names them"

    def __init__(self, conf, database, env):
        self.conf = conf
        self.database = database
        self.env = env
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(conf)
        self.uri = parser['database']['uri']
        self.path = Path(parser['database']['path'])

    def connect(self):
        if self.uri.startswith('postgresql'):
            import psycopg
            from psycopg.conninfo import conninfo_to_dict, make_conninfo
            params = conninfo_to_dict(self.uri)
            params['dbname'] = self.database
            return psycopg.connect(make_conninfo(**params))
        return sqlite3.connect(self.path / f'{self.database}.sqlite')

    def query(self, sql):
        conn = self.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            conn.close()

    def rows(self):
        "The rows of every table"
        if self.uri.startswith('postgresql'):
            tables = self.query("SELECT tablename FROM pg_tables "
                "WHERE schemaname = current_schema()")
        else:
            tables = self.query("SELECT name FROM sqlite_master "
                "WHERE type = 'table'")
        return {t: self.query(f'SELECT COUNT(*) FROM "{t}"')[0][0]
            for t, in tables}

    def files(self):
        result = subprocess.run([str(PYTHON), '-c', FILES, self.database],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env=dict(self.env, TRYTOND_CONFIG=str(self.conf)))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])


def _run(script, *args, env):
    return subprocess.run([str(ROOT / 'bin' / script), *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)


def _get(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=30) as response:
        return response.read()


@pytest.fixture
def restored(esurat, tmp_path):
    """The configuration of a new instance beside the demo's (its own port
    and [database] path, the same database server) and the name of its
    database, dropped at the end"""
    if esurat.conf is None:
        pytest.skip('needs the servers started by the tests')
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(esurat.conf)
    port = free_port()
    parser['web']['listen'] = f'127.0.0.1:{port}'
    parser['web']['hostname'] = f'127.0.0.1:{port}'
    parser['database']['path'] = str(tmp_path / 'restored')
    (tmp_path / 'restored').mkdir()
    conf = tmp_path / 'restored.conf'
    with open(conf, 'w') as file:
        parser.write(file)
    conf.chmod(0o600)
    database = f'{esurat.database}_restored'
    instance = Instance(conf, database, esurat.env)
    yield instance, port
    if esurat.backend == 'postgresql':
        with Instance(conf, 'postgres', None).connect() as conn:
            conn.autocommit = True
            for name in [database, f'{esurat.database}_tampered']:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restores_identical_instance(esurat, restored, tmp_path):
    source = Instance(esurat.conf, esurat.database, esurat.env)
    target, port = restored
    started = time.monotonic()
    backup = _run('backup', esurat.conf, esurat.database,
        tmp_path / 'backups', env=esurat.env)
    backup_time = time.monotonic() - started
    assert backup.returncode == 0, backup.stderr
    made, = (tmp_path / 'backups').iterdir()
    assert made.name.startswith(f'{esurat.database}-'), made
    manifest = json.loads((made / 'manifest.json').read_text())
    assert manifest['database'] == esurat.database
    assert manifest['backend'] == esurat.backend
    assert manifest['modules']['esurat_signing'] == '8.0.0'

    started = time.monotonic()
    restore = _run('restore', target.conf, made, target.database,
        env=esurat.env)
    restore_time = time.monotonic() - started
    assert restore.returncode == 0, restore.stderr
    print(f'\nbackup {backup_time:.1f} s, restore {restore_time:.1f} s '
        f'({esurat.backend}, {len(manifest["files"])} files)')

    # The same rows in every table, the same content of every file
    rows = source.rows()
    assert target.rows() == rows
    assert rows['esurat_letter'] > 0 and rows['esurat_signature'] > 0
    files = source.files()
    assert target.files() == files
    signed = [k for k in files if k.startswith('esurat.signature,')]
    assert signed and any(k.startswith('esurat.letter.file,') for k in files)

    # The restored server hands out the signed letter, which pyHanko
    # validates against the restored CA
    from trytond.modules.esurat_signing import pades
    (token, sha256), = target.query(
        "SELECT token, sha256 FROM esurat_signature WHERE id = "
        f"{signed[0].split(',')[1]}")
    # A singleton: its one row (whatever its id)
    (ca,), = target.query("SELECT certificate FROM esurat_signing_authority")
    log = tmp_path / 'restored.log'
    with open(log, 'ab') as out:
        server = subprocess.Popen([str(TRYTOND), '-c', str(target.conf)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            env=dict(esurat.env, TRYTOND_DATABASE_NAMES=target.database))
    try:
        url = f'http://127.0.0.1:{port}/{target.database}/verify/{token}'
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                page = _get(url).decode()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert sha256 in page
        pdf = _get(url + '/pdf')
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert hashlib.sha256(pdf).hexdigest() == sha256
    validation = pades.validate(pdf, ca.encode())
    assert validation.intact and validation.valid, validation

    # A file changed in the backup (the signed letter) stops the restore,
    # which names it and leaves nothing behind
    tampered = tmp_path / 'tampered'
    shutil.copytree(made, tampered)
    changed = tampered / 'files' / sha256
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 1
    changed.write_bytes(bytes(data))
    other = tmp_path / 'other'
    other.mkdir()
    conf = other / 'trytond.conf'
    conf.write_text(target.conf.read_text().replace(
            str(target.path), str(other)))
    failed = _run('restore', conf, tampered, f'{esurat.database}_tampered',
        env=esurat.env)
    assert failed.returncode == 1
    assert f'files/{sha256}' in failed.stderr, failed.stderr
    assert 'does not match the manifest' in failed.stderr, failed.stderr
    assert [p.name for p in other.iterdir()] == ['trytond.conf']
    if esurat.backend == 'postgresql':
        assert not source.query("SELECT 1 FROM pg_database WHERE datname = "
            f"'{esurat.database}_tampered'")

    # An existing database is never overwritten: neither the restored one
    # nor the demo's, which keeps its rows
    for conf, database in [
            (target.conf, target.database), (esurat.conf, esurat.database)]:
        refused = _run('restore', conf, made, database, env=esurat.env)
        assert refused.returncode == 1
        assert f'Database {database} already exists' in refused.stderr, (
            refused.stderr)
    assert source.rows() == rows
