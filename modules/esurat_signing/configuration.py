# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.modules.esurat_base.configuration import check_pattern
from trytond.pool import PoolMeta

DEFAULT_OUTGOING_PATTERN = '{classification}/{sequence}/{unit_code}/{year}'
# The development CA is no BSrE: the default names it for what it is
DEFAULT_SIGNATURE_ISSUER = (
    "Otoritas Sertifikat Pengembangan e-Surat (bukan BSrE-BSSN)")
DEFAULT_SIGNATURE_LEGAL_BASIS = (
    "Sesuai Pasal 5 ayat (1) Undang-Undang Nomor 11 Tahun 2008 tentang "
    "Informasi dan Transaksi Elektronik, informasi elektronik dan/atau "
    "dokumen elektronik dan/atau hasil cetaknya merupakan alat bukti hukum "
    "yang sah.")
DEFAULT_ADDRESSEE_CLOSING = 'di Tempat'


class Configuration(metaclass=PoolMeta):
    __name__ = 'esurat.configuration'

    outgoing_pattern = fields.Char(
        "Outgoing Number Pattern", required=True,
        help="Given at signing. Placeholders: {classification}, {sequence}, "
        "{unit_code}, {year}, {month}, {month_roman}.\n"
        "A unit may override it.")
    signature_issuer = fields.Char(
        "Certificate Issuer", required=True,
        help="Named in the electronic-signature statement on every page of "
        "a signed letter, e.g. \"Balai Sertifikasi Elektronik (BSrE), "
        "Badan Siber dan Sandi Negara\".")
    signature_legal_basis = fields.Text(
        "Legal Basis", required=True,
        help="The wording of UU ITE Pasal 5 ayat (1) in the statement.")
    addressee_closing = fields.Char(
        "Addressee Closing", required=True,
        help="The line under the addressees: \"di Tempat\", or "
        "\"di {city}\" for the city of the signing agency.")

    @classmethod
    def default_outgoing_pattern(cls):
        return DEFAULT_OUTGOING_PATTERN

    @classmethod
    def default_signature_issuer(cls):
        return DEFAULT_SIGNATURE_ISSUER

    @classmethod
    def default_signature_legal_basis(cls):
        return DEFAULT_SIGNATURE_LEGAL_BASIS

    @classmethod
    def default_addressee_closing(cls):
        return DEFAULT_ADDRESSEE_CLOSING

    def get_addressee_closing(self, city):
        "The addressee closing of a letter signed in city"
        return self.addressee_closing.replace('{city}', city or '').strip()

    @classmethod
    def check_pattern(cls, records, field_names=None):
        super().check_pattern(records, field_names)
        if field_names and 'outgoing_pattern' not in field_names:
            return
        for record in records:
            check_pattern(record.outgoing_pattern)
