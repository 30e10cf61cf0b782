# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The production shape of deploy/, checked without a Docker engine.

docker-compose.yml is validated by Debian's ``docker-compose config`` when it
is installed, and always read as YAML to check what an installation
relies on: the
services, the replica streaming from the primary, nginx balancing over the
app and rate-limiting the routes that really exist, settings that trytond
reads, secrets only in the untracked .env, the Dockerfile running the same
install scripts as the tests. deploy/nginx.conf goes through ``nginx -t``
when nginx is installed.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / 'deploy'
COMPOSE = DEPLOY / 'docker-compose.yml'
NGINX_CONF = DEPLOY / 'nginx.conf'
ESURAT_SERVICES = {'admin', 'app', 'worker', 'cron'}


def _load_yaml(path):
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope='module')
def compose():
    return _load_yaml(COMPOSE)


@pytest.fixture(scope='module')
def services(compose):
    return compose['services']


def _options(command):
    "The -c name=value options of a postgres command line"
    return dict(
        value.split('=', 1) for flag, value in zip(command, command[1:])
        if flag == '-c')


def _nginx_locations(text):
    "{regex: body} of the regex locations of nginx.conf"
    return dict(re.findall(
        r'location ~ (\S+) \{(.*?)\n        \}', text, re.DOTALL))


def test_docker_compose_config():
    "Debian's docker-compose accepts the file with the example .env"
    if not shutil.which('docker-compose'):
        pytest.skip("Debian's docker-compose is not installed")
    env = DEPLOY / '.env'
    # The services read deploy/.env (never committed): the example's
    # placeholders stand in for it while the file is checked
    made = not env.exists()
    if made:
        shutil.copyfile(DEPLOY / '.env.example', env)
    try:
        subprocess.run(
            ['docker-compose', '--env-file', str(DEPLOY / '.env.example'),
                '-f', str(COMPOSE), 'config', '-q'],
            check=True)
    finally:
        if made:
            env.unlink()


def test_services(services):
    "Primary, replica, 2 app containers, one worker, one cron, nginx"
    assert set(services) == ESURAT_SERVICES | {
        'db-primary', 'db-replica', 'nginx'}
    assert services['app']['deploy']['replicas'] == 2
    assert '--workers' in services['app']['environment']['GUNICORN_CMD_ARGS']
    assert services['worker']['command'][0] == 'trytond-worker'
    assert services['cron']['command'][0] == 'trytond-cron'
    assert 'replicas' not in services['cron'].get('deploy', {})
    assert services['admin']['profiles'] == ['admin']
    for name in ESURAT_SERVICES:
        service = services[name]
        environment = service['environment']
        # Without it the app runs the tasks itself, inside the request
        assert environment['TRYTOND_QUEUE__WORKER'] == 'True', name
        assert environment['TRYTOND_WEB__NUM_PROXIES'] == '1', name
        assert environment['TRYTOND_DATABASE__URI'].startswith(
            'postgresql://esurat:${ESURAT_DB_PASSWORD'), name
        assert '@db-primary:5432/' in environment['TRYTOND_DATABASE__URI']
        # One filestore for every process
        assert 'filestore:/var/lib/esurat' in service['volumes'], name
        assert environment['TRYTOND_DATABASE__PATH'].startswith(
            '/var/lib/esurat/'), name
        assert service['env_file'] == '.env', name
        assert (service['depends_on']['db-primary']['condition']
            == 'service_healthy'), name


def test_trytond_settings_exist(services):
    "Every TRYTOND_<SECTION>__<OPTION> names an option that code reads"
    import trytond
    sources = [
        p.read_text(errors='replace')
        for base in (Path(trytond.__file__).parent, ROOT / 'modules')
        for p in base.rglob('*.py')]
    names = {
        key for name in ESURAT_SERVICES
        for key in services[name]['environment']
        if key.startswith('TRYTOND_') and '__' in key}
    names |= set(re.findall(
        r'^(TRYTOND_\w+__\w+)=', (DEPLOY / '.env.example').read_text(),
        re.MULTILINE))
    assert 'TRYTOND_QUEUE__WORKER' in names
    for name in names:
        section, option = name[len('TRYTOND_'):].lower().split('__', 1)
        used = re.compile(
            rf"""['"]{section}['"],\s*['"]{option}['"]""")
        assert any(used.search(source) for source in sources), name


def test_caches_invalidated_at_once(services):
    """Every e-Surat process hears cache invalidations at once (a transfer
    through one app server changes access on all; tests/test_topology.py
    shows the default's 5 minutes)"""
    for name in ESURAT_SERVICES:
        assert services[name]['environment'][
            'TRYTOND_CACHE__CLEAN_TIMEOUT'] == '0', name


def test_replica_streams_from_primary(services):
    "The replica follows the primary through the slot made at its init"
    primary = _options(services['db-primary']['command'])
    assert primary['wal_level'] == 'replica'
    assert int(primary['max_wal_senders']) >= 2
    assert primary['jit'] == 'off'
    replica = services['db-replica']
    options = _options(replica['command'])
    conninfo = dict(
        item.split('=', 1) for item in options['primary_conninfo'].split())
    assert conninfo['host'] == 'db-primary'
    assert conninfo['port'] == '5432'
    assert conninfo['user'] == 'replicator'
    # The password is in a file, never in the settings pg shows
    assert 'password' not in conninfo
    init = (DEPLOY / 'postgres' / 'primary-init.sh').read_text()
    assert 'CREATE ROLE replicator WITH REPLICATION' in init
    assert (f"pg_create_physical_replication_slot("
        f"'{options['primary_slot_name']}')") in init
    assert 'CREATE EXTENSION IF NOT EXISTS pg_trgm' in init
    entrypoint = re.sub(r'\s*\\\n\s*', ' ', (
        DEPLOY / 'postgres' / 'replica-entrypoint.sh').read_text())
    assert re.search(r'pg_basebackup -h db-primary .*-S '
        + options['primary_slot_name'] + r' -R', entrypoint)
    assert conninfo['passfile'] in entrypoint
    assert replica['depends_on']['db-primary']['condition'] == (
        'service_healthy')
    # Two copies of the data, not one directory seen twice
    assert services['db-primary']['volumes'][0] == (
        'db-primary:/var/lib/postgresql/data')
    assert replica['volumes'][0] == 'db-replica:/var/lib/postgresql/data'


def test_nginx_balances_app(services):
    "nginx proxies only to the app service's containers, on their port"
    text = NGINX_CONF.read_text()
    upstream, = re.findall(r'upstream esurat_app \{(.*?)\}', text, re.DOTALL)
    assert re.findall(r'^\s*server (\S+)', upstream, re.MULTILINE) == [
        'app:8000']
    assert '8000' in services['app']['expose']
    assert set(re.findall(r'proxy_pass (\S+);', text)) == {
        'http://esurat_app'}
    # The client's address, not what it claims in its own header
    assert 'proxy_set_header X-Forwarded-For $remote_addr;' in text
    assert 'proxy_add_x_forwarded_for' not in text
    # A POST that reached one container is never replayed on another
    assert re.search(r'proxy_next_upstream error timeout;', text)
    nginx = services['nginx']
    assert nginx['depends_on']['app']['condition'] == 'service_healthy'
    assert './tls:/etc/nginx/tls:ro' in nginx['volumes']
    for path in re.findall(r'ssl_certificate(?:_key)? (\S+);', text):
        assert path.startswith('/etc/nginx/tls/'), path


@pytest.mark.parametrize('path,zone,route,size', [
        ('/esurat/verify/Ab3-_x', 'verify',
            "'/<database_name>/verify/<token>'", '11m'),
        ('/esurat/verify/Ab3-_x/pdf', 'verify',
            "'/<database_name>/verify/<token>/pdf'", '11m'),
        ('/esurat/verify', 'verify', "'/<database_name>/verify'", '11m'),
        ('/esurat/m/masuk', 'login', "'/<database_name>/m/masuk'", '1m'),
        ('/esurat/session/login', 'login',
            "'/<string:database_name>/session/login'", '1m'),
        ('/esurat/portal/', 'portal', "'/<database_name>/portal/'", '31m'),
        ('/esurat/portal/layanan/domisili/ajukan', 'portal',
            "'/<database_name>/portal/layanan/<code>/ajukan'", '31m'),
        ('/esurat/portal/pengaduan', 'portal',
            "'/<database_name>/portal/pengaduan'", '31m'),
        ])
def test_nginx_rate_limits_public_routes(path, zone, route, size):
    """The anonymous routes fall in a rate-limited location that lets
    through the largest upload the route accepts"""
    import trytond
    routes = [*(ROOT / 'modules').glob('*/routes.py'),
        Path(trytond.__file__).parent / 'protocols' / 'dispatcher.py']
    assert any(route in p.read_text() for p in routes), route
    matched = [
        body for regex, body in _nginx_locations(NGINX_CONF.read_text())
        .items() if re.search(regex, path)]
    assert len(matched) == 1, path
    assert f'limit_req zone={zone} ' in matched[0]
    assert f'client_max_body_size {size};' in matched[0]


def test_nginx_limits_not_logged_in_pages():
    "Other pages of the phone app and the JSON-RPC are not rate-limited"
    locations = _nginx_locations(NGINX_CONF.read_text())
    for path in ['/esurat/m/', '/esurat/rpc/', '/rpc/', '/esurat/m/masukan',
            '/esurat/verifyx', '/esurat/portalx', '/esurat/session/logout']:
        assert not any(re.search(r, path) for r in locations), path


def test_dockerfile_runs_install_scripts():
    "The image installs with the scripts the tests run, pinned versions"
    text = (DEPLOY / 'Dockerfile').read_text()
    runs = ' '.join(re.findall(
        r'^RUN ((?:.*\\\n)*.*)', text, re.MULTILINE))
    for script in ['bin/install-system run', 'bin/setup', 'bin/install-sao']:
        assert script in runs, script
    for source in ['requirements.txt', 'bin', 'modules', 'sao',
            'deploy/nginx.conf']:
        assert re.search(rf'^COPY {re.escape(source)} ', text, re.MULTILINE)
        assert (ROOT / source).exists(), source
    ignored = (DEPLOY / 'Dockerfile.dockerignore').read_text().split('\n')
    for source in ['requirements.txt', 'bin', 'modules', 'sao', 'deploy']:
        assert source not in ignored, source
    assert 'CMD ["gunicorn", "--bind", "0.0.0.0:8000", ' \
        '"trytond.application:app"]' in text
    assert re.search(
        r'^gunicorn==[\d.]+$', (ROOT / 'requirements.txt').read_text(),
        re.MULTILINE)


def test_secrets_stay_out_of_git(compose, services):
    "Every secret the compose file needs has a placeholder, .env is ignored"
    text = COMPOSE.read_text()
    required = set(re.findall(r'\$\{(\w+):\?', text))
    assert required == {'ESURAT_DB_PASSWORD', 'ESURAT_REPLICATION_PASSWORD'}
    example = dict(
        line.split('=', 1)
        for line in (DEPLOY / '.env.example').read_text().splitlines()
        if line and not line.startswith('#'))
    assert required <= set(example)
    for name, value in example.items():
        if any(word in name for word in ['PASSWORD', 'PASSPHRASE', 'URI']):
            assert 'change-me' in value, name
    ignored = subprocess.run(
        ['git', 'check-ignore', 'deploy/.env', 'deploy/tls/privkey.pem'],
        cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == [
        'deploy/.env', 'deploy/tls/privkey.pem']


def test_nginx_conf_syntax(tmp_path):
    "nginx -t accepts deploy/nginx.conf (app and certificate made local)"
    nginx = shutil.which('nginx') or (
        '/usr/sbin/nginx' if Path('/usr/sbin/nginx').exists() else None)
    if not nginx:
        pytest.skip('nginx is not installed')
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
            '-days', '1', '-subj', '/CN=localhost',
            '-keyout', str(tmp_path / 'privkey.pem'),
            '-out', str(tmp_path / 'fullchain.pem')],
        check=True, capture_output=True)
    conf = (NGINX_CONF.read_text()
        .replace('server app:8000', 'server 127.0.0.1:8000')
        .replace('/etc/nginx/tls/', f'{tmp_path}/'))
    (tmp_path / 'nginx.conf').write_text(conf)
    result = subprocess.run(
        [nginx, '-t', '-p', str(tmp_path), '-c', str(tmp_path / 'nginx.conf')],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
