# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class Letter(metaclass=PoolMeta):
    __name__ = 'esurat.letter'

    origin = fields.Many2One(
        'esurat.outgoing', "Original Letter", readonly=True,
        ondelete='RESTRICT',
        states={'invisible': ~Eval('origin')},
        help="The signed outgoing letter this incoming letter was "
        "delivered from.")
    # The original belongs to the sending agency, whose people only may
    # read it: the receiving side sees its public verification address
    origin_verify_url = fields.Function(
        fields.Char("Original Letter", help="The verification page of "
            "the signed letter this incoming letter was delivered from."),
        'get_origin_verify_url')

    def get_origin_verify_url(self, name):
        # Function getters run without access checks
        if self.origin and self.origin.signature:
            return self.origin.signature.verify_url

    @classmethod
    def copy(cls, letters, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('origin', None)
        return super().copy(letters, default=default)

    def check_registrable(self):
        # A letter delivered only as a copy (tembusan) has no addressee
        if self.origin and not self.addressees and self.copies:
            return
        super().check_registrable()

    @fields.depends('origin')
    def find_duplicate(self):
        # Delivered letters carry a number given once, by the system
        if self.origin:
            return None
        return super().find_duplicate()

    @classmethod
    def from_outgoing(cls, outgoing, agency, recipients):
        """Deliver outgoing into agency's inbox: an incoming letter with its
        own agenda number, the signed PDF as its file, distributed at once
        to the positions of recipients"""
        pool = Pool()
        File = pool.get('esurat.letter.file')
        Recipient = pool.get('esurat.letter.recipient')
        # A position named twice (as itself and as head of its unit) is
        # one recipient, addressed rather than copied if either says so
        kinds = {}
        for recipient in recipients:
            position = recipient.target_position
            if kinds.get(position) != 'to':
                kinds[position] = 'cc' if recipient.is_copy else 'to'
        letter = cls(
            unit=agency,
            origin=outgoing,
            sender=outgoing.unit.name,
            sender_number=outgoing.number,
            sender_date=outgoing.date,
            received_date=datetime.date.today(),
            subject=outgoing.subject,
            classification=outgoing.classification,
            letter_type=outgoing.letter_type,
            urgency=outgoing.urgency,
            confidentiality=outgoing.confidentiality,
            recipients=[
                Recipient(position=position, kind=kind)
                for position, kind in kinds.items()])
        letter.save()
        signature = outgoing.signature
        File.create([{
                    'letter': letter.id,
                    'name': signature.file_name,
                    'data': signature.pdf,
                    }])
        cls.register([letter])
        cls.distribute([letter])
        return letter
