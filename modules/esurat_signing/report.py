# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from reportlab.platypus.doctemplate import LayoutError

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access

from . import render
from .exceptions import (
    OutgoingAccessError, OutgoingError, OutgoingValidationError)


class OutgoingReportMixin:
    """A report of outgoing letters for whoever reads them, rahasia ones
    only for the people on them"""
    __slots__ = ()
    # What a reader refused a rahasia letter is told
    _hidden_message = 'esurat_signing.msg_outgoing_letter_hidden'

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
                        cls._hidden_message,
                        outgoing=Outgoing(min(hidden)).safe_name))


class SignedLetter(OutgoingReportMixin, Report):
    """The signed PDF of an outgoing letter, byte for byte as it was signed
    and stored with its signature, as account_invoice returns an invoice's
    cached report: rendering it again would not carry the signature"""
    __name__ = 'esurat.outgoing.letter'

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


class LetterPreview(OutgoingReportMixin, Report):
    """The draft as it will print, KONSEP across every page: the number
    still a placeholder, no QR code and no signature"""
    __name__ = 'esurat.outgoing.preview'
    _hidden_message = 'esurat_signing.msg_outgoing_preview_hidden'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        oext, content, direct_print, name = super().execute(ids, data)
        if len(ids) == 1:
            # Never mistaken for the signed letter once downloaded
            name = f'{render.WATERMARK}-{Outgoing(ids[0]).safe_name}'
        return oext, content, direct_print, name

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Holding = pool.get('esurat.position.holding')
        Signature = pool.get('esurat.signature')
        User = pool.get('res.user')
        outgoing, = Outgoing.browse(records)
        # The reader may read the letter (check_access): what it prints is
        # read as the signing does, org chart and signer included
        with without_check_access():
            outgoing = Outgoing(outgoing.id)
            position = outgoing.signer_position
            # Who will sign: the reader when they hold or act for the
            # signer's position (the Plh previewing what they sign), else
            # whoever acts for it today (a Plh or Plt stands in for an
            # absent holder), else its holder
            reader = Transaction().user
            if User.may_approve_as(position, reader):
                user = User(reader)
            else:
                holdings = sorted(Holding.search([
                            ('position', '=', position.id),
                            ('current', '=', True),
                            ('kind', '!=', 'assistant'),
                            ]),
                    key=lambda h: (h.kind == 'definitive', h.id))
                user = holdings[0].user if holdings else None
            letter = outgoing.render_data(user, position)
            # The statement, the closing, the layout: as they will print,
            # but no QR code on a letter nobody signed
            Signature.complete_data(letter, '')
        letter.verify_url = ''
        letter.draft = True
        try:
            return 'pdf', render.render_letter(letter)
        except LayoutError:
            raise OutgoingValidationError(gettext(
                    'esurat_signing.msg_outgoing_layout'))
