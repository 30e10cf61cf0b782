# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Proteus helpers of the esurat_signing scenarios, on esurat_base's
organisation (``esurat_base.tests.scenario_tools``)::

    >>> configure_signing()
    >>> config = activate_modules(
    ...     ['esurat_disposition', 'esurat_signing'],
    ...     create_organisation, load_indonesian, setup_signing)
    >>> org = get_organisation()

The server's configuration (``configure_signing``) is not in the database
template: each scenario sets it before activating."""
from io import BytesIO
from urllib.parse import urlsplit

from proteus import Model, Wizard
from proteus.config import get_config
from werkzeug.test import Client

from trytond.modules.esurat_base.tests.scenario_tools import get_organisation
from trytond.modules.esurat_signing import routes
from trytond.tests.tools import set_user
from trytond.wsgi import app

from .tools import PASSPHRASE, configure_signing

__all__ = [
    'PASSPHRASE', 'configure_signing', 'request_certificate',
    'setup_signing', 'initial_and_sign', 'Phone']


def request_certificate(user, passphrase=PASSPHRASE, config=None):
    "Let user ask for a signing certificate protected by passphrase"
    if not config:
        config = get_config()
    current = config.user
    set_user(user, config)
    request = Wizard('esurat.signing.certificate.request', config=config)
    request.form.passphrase = passphrase
    request.form.confirmation = passphrase
    request.execute('issue')
    set_user(current, config)


def setup_signing(config=None):
    """The letterheads of the Pemda and Diskominfo, and a certificate for
    the Kepala Dinas, who signs with PASSPHRASE"""
    org = get_organisation(config)
    org.pemda.letterhead_title = "PEMERINTAH KABUPATEN UJI"
    org.pemda.save()
    org.kominfo.street = "Jl. Merdeka No. 1"
    org.kominfo.city = "Sukamaju"
    org.kominfo.phone = "(0261) 123456"
    org.kominfo.save()
    request_certificate(org.kadis, config=config)


def initial_and_sign(outgoing, org, config=None):
    """Take a submitted letter of Diskominfo's staff through its route: the
    Kabid initials, the Kepala Dinas signs; return it as the Kepala Dinas
    sees it"""
    Outgoing = Model.get('esurat.outgoing', config=config)
    set_user(org.kabid, config)
    Outgoing(outgoing.id).click('approve')
    set_user(org.kadis, config)
    sign = Wizard('esurat.outgoing.sign', [Outgoing(outgoing.id)],
        config=config)
    sign.form.passphrase = PASSPHRASE
    sign.execute('sign')
    return Outgoing(outgoing.id)


class Phone:
    """Opens the verification page of a QR code without login, as a phone
    does, through the server's WSGI application"""

    def __init__(self):
        # The page counts the requests of an address in the process: a new
        # phone starts afresh
        routes.LIMITER.reset()
        self.client = Client(app)

    def open(self, url):
        "The response to opening url (what the QR code says)"
        return self.client.get(urlsplit(url).path)

    def check(self, url, document):
        "The response to uploading document (bytes) on the page of url"
        return self.client.post(urlsplit(url).path, data={
                'document': (BytesIO(document), 'surat.pdf')})
