# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Back up an e-Surat database with its files, and restore it elsewhere.

    python -m trytond.modules.esurat_base.backup backup CONFIG DATABASE DIR
    python -m trytond.modules.esurat_base.backup restore CONFIG BACKUP NAME

(bin/backup and bin/restore). CONFIG is a trytond configuration file
(/dev/null when everything comes from TRYTOND_* variables), as for
trytond-admin.

A backup is DIR/<database>-<UTC time>, a directory (or one .tar of it with
--tar) holding:

- ``database.dump`` (PostgreSQL: pg_dump's custom format) or
  ``database.sqlite`` (SQLite's online backup), one consistent snapshot;
- ``files/<sha256>``: every file of the filestore a record of that snapshot
  points to, named by its content (files no record points to are left out);
- ``manifest.json``, written last: the database, its backend, the time,
  the activated modules and their versions, the rows of every table and,
  for every file, its prefix, file id, SHA-256 and size.

It is written under a hidden ``.partial`` name and renamed once complete, so
that an interrupted backup never looks like one.  Restoring checks every
file against the manifest before touching anything, refuses an existing
database or filestore, then checks the restored files again, against the
manifest and against the SHA-256 their records keep, and the rows of every
table; a restore that fails leaves nothing behind.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time

FORMAT = 1
MANIFEST = 'manifest.json'
FILES = 'files'
DUMPS = {'postgresql': 'database.dump', 'sqlite': 'database.sqlite'}
# Exit status of a backup written with files already missing or changed in
# the filestore (the best copy there is, but somebody must look)
PROBLEMS = 3
CHUNK = 1 << 20


class BackupError(Exception):
    pass


def sha256_file(path):
    "The SHA-256 and size of the file at path"
    digest = hashlib.sha256()
    size = 0
    with open(path, 'rb') as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _pg_program(name):
    """name from the newest PostgreSQL of /usr/lib/postgresql (pg_dump
    must not be older than the server), else from PATH"""
    def version(path):
        return [int(n) for n in re.findall(r'\d+', path.split('/')[-3])]
    found = sorted(
        glob.glob(f'/usr/lib/postgresql/*/bin/{name}'), key=version)
    program = found[-1] if found else shutil.which(name)
    if not program:
        raise BackupError(f"{name} not found: install PostgreSQL's client.")
    return program


def _backend():
    from trytond import backend
    if backend.name not in DUMPS:
        raise BackupError(f"The backend {backend.name} is not supported.")
    return backend.name


def _filestore_root():
    from trytond import config
    from trytond.filestore import filestore
    if config.get('database', 'class'):
        raise BackupError(
            "Only Tryton's own filestore ([database] path) is supported.")
    return filestore.path


def _stored_path(root, prefix, file_id):
    "Where Tryton's filestore keeps file_id of prefix (trytond/filestore.py)"
    return os.path.join(root, prefix, file_id[0:2], file_id[2:4], file_id)


def _pg_conninfo(database):
    """The libpq connection string of database and the environment of the
    PostgreSQL programs: the password goes in PGPASSWORD, never on a
    command line that ps shows"""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from trytond import backend
    params = conninfo_to_dict(
        backend.Database._connection_params(database)['conninfo'])
    password = params.pop('password', None)
    env = dict(os.environ)
    if password:
        env['PGPASSWORD'] = password
    return make_conninfo(**params), env


def _pg_connect(database, **kwargs):
    import psycopg
    conninfo, env = _pg_conninfo(database)
    return psycopg.connect(
        conninfo, password=env.get('PGPASSWORD'), **kwargs)


def _pg_run(args, env):
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(
            f"{os.path.basename(args[0])} failed ({result.returncode}):\n"
            + result.stderr.strip())


def _sqlite_path(database):
    from trytond import config
    return os.path.join(
        config.get('database', 'path'), database + '.sqlite')


def file_columns(database):
    """The (table, file id column, SHA-256 column or None, fixed prefix or
    None for the database's own) of every filestore field of database, as
    esurat_base's filestore check knows them"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0, readonly=True):
        Issue = pool.get('esurat.filestore.issue')
        return sorted({
                (Model._table, Model._fields[name].file_id, digest,
                    Model._fields[name].store_prefix)
                for Model, name, digest in Issue.filestore_models()},
            key=str)


def _read_database(cursor, backend, columns):
    """The rows of every table, the activated modules and the files the
    records point to ({(prefix, file id): SHA-256 or None}), all read with
    cursor (one snapshot)"""
    if backend == 'postgresql':
        cursor.execute(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = current_schema() ORDER BY tablename")
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    tables = {}
    for table, in cursor.fetchall():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        tables[table], = cursor.fetchone()
    cursor.execute("SELECT name FROM ir_module WHERE state = 'activated'")
    modules = sorted(name for name, in cursor.fetchall())
    files = {}
    for table, column, digest, prefix in columns:
        cursor.execute(
            f'SELECT "{column}", '
            + (f'"{digest}"' if digest else 'NULL')
            + f' FROM "{table}" WHERE "{column}" IS NOT NULL '
            f'AND "{column}" != \'\'')
        for file_id, expected in cursor.fetchall():
            key = (prefix, file_id)
            files[key] = files.get(key) or expected
    return tables, modules, files


def _module_versions(modules):
    "The versions of the installed modules (ir and res are trytond's)"
    from trytond import __version__
    from trytond.modules import get_module_info
    return {
        name: (get_module_info(name) or {}).get('version', __version__)
        for name in modules}


def _dump(backend, database, work, columns):
    """Write the dump of database into work; return what _read_database
    read of the same snapshot and the server's version"""
    path = os.path.join(work, DUMPS[backend])
    if backend == 'postgresql':
        import psycopg
        conninfo, env = _pg_conninfo(database)
        with _pg_connect(database) as conn:
            # pg_dump and the reading below see this transaction's snapshot
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            cursor = conn.cursor()
            cursor.execute('SELECT pg_export_snapshot()')
            snapshot, = cursor.fetchone()
            _pg_run([_pg_program('pg_dump'), '--format=custom',
                    f'--snapshot={snapshot}', '--file', path,
                    '--dbname', conninfo], env)
            read = _read_database(cursor, backend, columns)
            version = conn.info.server_version
    else:
        source_path = _sqlite_path(database)
        if not os.path.isfile(source_path):
            raise BackupError(f"Database {source_path} does not exist.")
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(path)
        try:
            # SQLite's online backup: a consistent copy while the server
            # keeps writing
            source.backup(target)
            read = _read_database(target.cursor(), backend, columns)
        finally:
            source.close()
            target.close()
        version = sqlite3.sqlite_version
    _fsync(path)
    return read, version


def _copy_file(source, files):
    """Copy source into the folder files, named by its SHA-256; return
    that SHA-256 and the size"""
    digest = hashlib.sha256()
    size = 0
    fd, temporary = tempfile.mkstemp(dir=files, suffix='.partial')
    with open(source, 'rb') as reader, os.fdopen(fd, 'wb') as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(temporary, os.path.join(files, digest.hexdigest()))
    return digest.hexdigest(), size


def backup(database, directory, tar=False, out=sys.stdout):
    """Back up database and its files into directory; return the path of
    the backup and the problems of the filestore found on the way"""
    backend = _backend()
    root = _filestore_root()
    columns = file_columns(database)
    created_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    name = f'{database}-{created_at:%Y%m%dT%H%M%SZ}'
    final = os.path.join(directory, name + ('.tar' if tar else ''))
    if os.path.exists(final):
        raise BackupError(f"{final} already exists.")
    os.makedirs(directory, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f'.{name}.', suffix='.partial',
        dir=directory)
    partial = os.path.join(directory, f'.{name}.tar.partial')
    try:
        (tables, modules, references), version = _dump(
            backend, database, work, columns)
        files = os.path.join(work, FILES)
        os.mkdir(files)
        entries, problems = [], []
        for (prefix, file_id), expected in sorted(
                references.items(), key=str):
            stored = _stored_path(root, prefix or database, file_id)
            problem = {'prefix': prefix, 'file_id': file_id}
            try:
                digest, size = _copy_file(stored, files)
            except FileNotFoundError:
                problems.append(dict(problem, problem='missing'))
                continue
            entry = dict(problem, sha256=digest, size=size)
            if expected and digest != expected:
                # Kept as it is, the record's SHA-256 beside it
                entry['record_sha256'] = expected
                problems.append(dict(problem, problem='changed'))
            entries.append(entry)
        dump_sha256, dump_size = sha256_file(
            os.path.join(work, DUMPS[backend]))
        from trytond import __version__
        manifest = {
            'format': FORMAT,
            'database': database,
            'backend': backend,
            'server_version': str(version),
            'created_at': created_at.isoformat().replace('+00:00', 'Z'),
            'trytond': __version__,
            'modules': _module_versions(modules),
            'dump': {'name': DUMPS[backend], 'sha256': dump_sha256,
                'size': dump_size},
            'tables': tables,
            'files': entries,
            'problems': problems,
            }
        manifest_path = os.path.join(work, MANIFEST)
        with open(manifest_path, 'w') as file:
            json.dump(manifest, file, indent=1, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        if tar:
            # Private as the directory: password hashes, encrypted keys
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                        0o600), 'wb') as file, tarfile.open(
                    fileobj=file, mode='w') as archive:
                # The manifest last: a truncated archive lacks it
                for member in sorted(os.listdir(work), key=lambda n: (
                            n == MANIFEST, n)):
                    archive.add(os.path.join(work, member), arcname=member)
            _fsync(partial)
            os.replace(partial, final)
            shutil.rmtree(work)
        else:
            os.rename(work, final)
        _fsync(directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if tar and os.path.exists(partial):
            os.remove(partial)
        raise
    size = sum(e['size'] for e in entries) + dump_size
    print(f"Backup of {backend} database {database}: {final} "
        f"({len(tables)} tables, {sum(tables.values())} rows, "
        f"{len(entries)} files, {size / 1e6:.1f} MB)", file=out)
    return final, problems


def describe(problem, manifest):
    "A filestore problem found at the backup, for the administrator"
    place = f"{problem['prefix'] or manifest['database']}/{problem['file_id']}"
    if problem['problem'] == 'missing':
        return f"{place} is missing from the filestore"
    return f"{place} differs from the SHA-256 its record keeps"


class _Opened:
    "The folder of a backup: itself, or a tar extracted for the restore"

    def __init__(self, path):
        self.path = path
        self.temporary = None

    def __enter__(self):
        if os.path.isdir(self.path):
            return self.path
        if not os.path.isfile(self.path) or not tarfile.is_tarfile(
                self.path):
            raise BackupError(
                f"{self.path} is neither a backup directory nor a tar.")
        self.temporary = tempfile.mkdtemp(prefix='esurat-restore.')
        with tarfile.open(self.path) as archive:
            archive.extractall(self.temporary, filter='data')
        return self.temporary

    def __exit__(self, *exc):
        if self.temporary:
            shutil.rmtree(self.temporary, ignore_errors=True)


def _read_manifest(folder):
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path) as file:
            manifest = json.load(file)
    except FileNotFoundError:
        raise BackupError(
            f"{folder} has no {MANIFEST}: not a complete backup.")
    if manifest.get('format') != FORMAT:
        raise BackupError(
            f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def _check(path, sha256, size, what):
    "Raise unless the file at path has sha256 and size"
    try:
        found, found_size = sha256_file(path)
    except FileNotFoundError:
        raise BackupError(f"{what} is missing.")
    if (found, found_size) != (sha256, size):
        raise BackupError(f"{what} does not match the manifest: SHA-256 "
            f"{found} ({found_size} bytes), expected {sha256} ({size} "
            "bytes).")


def _verify_backup(folder, manifest):
    "Check every file of the backup against the manifest"
    dump = manifest['dump']
    _check(os.path.join(folder, dump['name']), dump['sha256'], dump['size'],
        f"The dump {dump['name']}")
    for entry in manifest['files']:
        _check(os.path.join(folder, FILES, entry['sha256']),
            entry['sha256'], entry['size'],
            f"The file {FILES}/{entry['sha256']} (file "
            f"{entry['prefix'] or manifest['database']}/{entry['file_id']})")


def _database_exists(backend, database):
    if backend == 'postgresql':
        with _pg_connect('template1', autocommit=True) as conn:
            return bool(conn.execute(
                    'SELECT 1 FROM pg_database WHERE datname = %s',
                    [database]).fetchone())
    return os.path.exists(_sqlite_path(database))


def _pg_create(database):
    import psycopg
    from psycopg import sql
    with _pg_connect('template1', autocommit=True) as conn:
        try:
            # template0, as trytond creates databases: the dump brings its
            # extensions (pg_trgm) itself
            conn.execute(sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
                .format(sql.Identifier(database)))
        except psycopg.errors.DuplicateDatabase:
            raise BackupError(f"Database {database} already exists.")


def _pg_drop(database):
    from psycopg import sql
    with _pg_connect('template1', autocommit=True) as conn:
        conn.execute(sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)')
            .format(sql.Identifier(database)))


def _pg_restore(folder, manifest, database):
    conninfo, env = _pg_conninfo(database)
    # --no-owner: the objects belong to the role trytond connects as
    _pg_run([_pg_program('pg_restore'), '--no-owner', '--exit-on-error',
            '--single-transaction', '--dbname', conninfo,
            os.path.join(folder, manifest['dump']['name'])], env)


def _sqlite_restore(folder, manifest, database):
    target = _sqlite_path(database)
    partial = f'{target}.partial'
    shutil.copyfile(os.path.join(folder, manifest['dump']['name']), partial)
    _fsync(partial)
    try:
        # A link never replaces an existing database
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(f"Database {target} already exists.")
    finally:
        os.unlink(partial)


def _verify_restored(backend, database, manifest, root):
    """Check the restored database against the manifest: the rows of every
    table, and every file its records point to, against the manifest and
    the SHA-256 its record keeps"""
    columns = file_columns(database)
    if backend == 'postgresql':
        with _pg_connect(database) as conn:
            tables, _, references = _read_database(
                conn.cursor(), backend, columns)
    else:
        conn = sqlite3.connect(_sqlite_path(database))
        try:
            tables, _, references = _read_database(
                conn.cursor(), backend, columns)
        finally:
            conn.close()
    differ = sorted(t for t in set(tables) | set(manifest['tables'])
        if tables.get(t) != manifest['tables'].get(t))
    if differ:
        raise BackupError("Rows differ from the manifest in the tables: "
            + ', '.join(f"{t} ({tables.get(t)} instead of "
                f"{manifest['tables'].get(t)})" for t in differ))
    entries = {(e['prefix'], e['file_id']): e for e in manifest['files']}
    missing = {(p['prefix'], p['file_id']) for p in manifest['problems']
        if p['problem'] == 'missing'}
    for (prefix, file_id), expected in sorted(references.items(), key=str):
        place = f'{prefix or database}/{file_id}'
        entry = entries.get((prefix, file_id))
        if entry is None:
            if (prefix, file_id) in missing:
                continue
            raise BackupError(f"The file {place} is not in the backup.")
        _check(_stored_path(root, prefix or database, file_id),
            entry['sha256'], entry['size'], f"The restored file {place}")
        # Unless the file differed from its record already at the backup
        if (expected and expected != entry['sha256']
                and expected != entry.get('record_sha256')):
            raise BackupError(f"The restored file {place} does not match "
                f"the SHA-256 its record keeps ({expected}).")
    return tables


def restore(source, database, out=sys.stdout):
    """Restore the backup at source into the new database and the
    filestore of the configuration, then verify them"""
    backend = _backend()
    root = _filestore_root()
    if os.path.basename(source.rstrip('/')).endswith('.partial'):
        raise BackupError(f"{source} is an unfinished backup.")
    with _Opened(source) as folder:
        manifest = _read_manifest(folder)
        if manifest['backend'] != backend:
            raise BackupError(f"The backup is of a {manifest['backend']} "
                f"database; the configuration's backend is {backend}.")
        _verify_backup(folder, manifest)
        if _database_exists(backend, database):
            raise BackupError(
                f"Database {database} already exists: restore into a new "
                "one.")
        prefixes = sorted({e['prefix'] or database
                for e in manifest['files']})
        for prefix in prefixes:
            directory = os.path.join(root, prefix)
            if os.path.isdir(directory) and any(os.scandir(directory)):
                raise BackupError(f"The filestore {directory} already "
                    "holds files: restore into a [database] path of its "
                    "own.")
        created_database = False
        try:
            for entry in manifest['files']:
                target = _stored_path(
                    root, entry['prefix'] or database, entry['file_id'])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(
                    os.path.join(folder, FILES, entry['sha256']), target)
            if backend == 'postgresql':
                _pg_create(database)
                created_database = True
                _pg_restore(folder, manifest, database)
            else:
                _sqlite_restore(folder, manifest, database)
                created_database = True
            tables = _verify_restored(backend, database, manifest, root)
        except BaseException:
            if created_database:
                _drop(backend, database)
            for prefix in prefixes:
                shutil.rmtree(os.path.join(root, prefix), ignore_errors=True)
            raise
    for problem in manifest['problems']:
        print(f"WARNING: at the backup already: {describe(problem, manifest)}",
            file=sys.stderr)
    print(f"Restored {manifest['backend']} database {manifest['database']} "
        f"of {manifest['created_at']} as {database} ({len(tables)} tables, "
        f"{sum(tables.values())} rows) with {len(manifest['files'])} files "
        f"in {root}: every file matches the manifest and its record"
        + (f", but for {len(manifest['problems'])} already wrong at the "
            "backup (above)." if manifest['problems'] else "."), file=out)
    installed = _module_versions(manifest['modules'])
    if installed != manifest['modules']:
        print("The installed modules differ from the backup's: run "
            f"trytond-admin -d {database} --all before serving it.", file=out)


def _drop(backend, database):
    if backend == 'postgresql':
        _pg_drop(database)
    else:
        os.remove(_sqlite_path(database))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    make = commands.add_parser('backup', help="back up a database")
    make.add_argument('config', help="trytond configuration file")
    make.add_argument('database')
    make.add_argument('directory', help="where backups are kept")
    make.add_argument('--tar', action='store_true',
        help="one tar archive instead of a directory")
    back = commands.add_parser('restore', help="restore into a new database")
    back.add_argument('config', help="trytond configuration file")
    back.add_argument('backup', help="a backup directory or tar archive")
    back.add_argument('database', help="the new database")
    args = parser.parse_args(argv)

    from trytond import config
    config.update_etc(args.config)
    started = time.monotonic()
    try:
        if args.command == 'backup':
            _, problems = backup(args.database, args.directory, args.tar)
            for problem in problems:
                print("WARNING: " + describe(
                        problem, {'database': args.database}),
                    file=sys.stderr)
            status = PROBLEMS if problems else 0
        else:
            restore(args.backup, args.database)
            status = 0
    except BackupError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print(f"({time.monotonic() - started:.1f} s)")
    return status


if __name__ == '__main__':
    sys.exit(main())
