# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every record a user can list, the user can see in the list and open.

A form shows the names of the records it links to; when one of them belongs
to another agency (the original of a delivered letter, the incoming letter a
recipient became), reading the form fails with an access error although the
record itself is the user's. This test reads, over JSON-RPC as sao does,
the list and the form of every record each demo role finds in the lists of
the demo Kabupaten (its signed letter, delivered to two agencies and by
email, has both kinds of links).
"""
import pytest

LOGINS = [
    'op.kominfo', 'umum.setda', 'sekda', 'kadis.kominfo', 'kabid.aptika',
    'staf.aptika', 'kadis.kesehatan', 'kabid.yankes', 'kabid.p2p',
    'kasi.surveilans',
    ]
MODELS = [
    'esurat.letter', 'esurat.letter.recipient', 'esurat.letter.file',
    'esurat.disposition',
    'esurat.position', 'esurat.position.holding', 'esurat.unit',
    'esurat.outgoing', 'esurat.outgoing.recipient',
    'esurat.outgoing.approval', 'esurat.outgoing.version',
    'esurat.signature', 'esurat.signing.certificate', 'esurat.mail',
    ]
LINKS = {'many2one', 'one2one', 'reference'}


@pytest.mark.parametrize('login', LOGINS)
def test_every_listed_record_opens(esurat, login):
    rpc = esurat.login(login)
    opened = 0
    for model in MODELS:
        access = rpc('model.ir.model.access.get_access', [model])[model]
        if not access['read']:
            continue
        names = []
        for view_type in ['tree', 'form']:
            view = rpc(f'model.{model}.fields_view_get', None, view_type)
            for name, field in view['fields'].items():
                names.append(name)
                if field['type'] in LINKS:
                    names.append(f'{name}.rec_name')
        ids = rpc(f'model.{model}.search', [], 0, 200, None)
        try:
            records = rpc(f'model.{model}.read', ids, names)
        except esurat.Error as error:
            pytest.fail(f'{login} cannot open a {model} listed to them: '
                f'{error}')
        assert len(records) == len(ids)
        opened += len(records)
    # Every role finds something to open in the demo
    assert opened, login
