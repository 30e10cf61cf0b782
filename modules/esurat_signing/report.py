# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from .exceptions import OutgoingAccessError, OutgoingError


class SignedLetter(Report):
    """The signed PDF of an outgoing letter, byte for byte as it was signed
    and stored with its signature, as account_invoice returns an invoice's
    cached report: rendering it again would not carry the signature"""
    __name__ = 'esurat.outgoing.letter'

    @classmethod
    def check_access(cls, action, model, ids):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        # The letters are read, whatever action (and so model) the client
        # names in its data
        super().check_access(action, Outgoing.__name__, ids)
        # Reading a rahasia letter is not reading its content (content.py)
        if Transaction().user:
            hidden = Outgoing.hidden_outgoing_ids(set(ids))
            if hidden:
                raise OutgoingAccessError(gettext(
                        'esurat_signing.msg_outgoing_letter_hidden',
                        outgoing=Outgoing(min(hidden)).safe_name))

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        oext, content, direct_print, name = super().execute(ids, data)
        if len(ids) == 1:
            # The name the PDF has everywhere else (mail, incoming letter)
            outgoing = Outgoing(ids[0])
            name = outgoing.signature.file_name.removesuffix('.pdf')
        return oext, content, direct_print, name

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        # The action is single: one letter at a time
        outgoing, = Outgoing.browse(records)
        if not outgoing.signature:
            raise OutgoingError(gettext(
                    'esurat_signing.msg_outgoing_letter_not_signed',
                    outgoing=outgoing.safe_name))
        return 'pdf', bytes(outgoing.signature.pdf)
