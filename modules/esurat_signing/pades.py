# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Certificates and PAdES signatures, free of Tryton.

A development certificate authority issues the certificates of the demo and
the tests; ``LocalSigner`` signs with such a certificate and ``validate``
checks a signed PDF against a trusted CA.  A real provider (BSrE) implements
the same ``Signer.sign`` interface.

Choices:

- Keys are RSA-2048: what BSrE issues and what every PDF reader verifies;
  signing costs about 1 ms once the key is loaded, and key generation (70 ms)
  only happens when a certificate is issued.
- Private keys are stored as standard PKCS#8 ``ENCRYPTED PRIVATE KEY`` PEM
  (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), readable by OpenSSL.  We write
  the structure ourselves because cryptography's ``BestAvailableEncryption``
  uses only 2048 PBKDF2 iterations; we use ``KDF_ITERATIONS`` (600 000, the
  OWASP 2023 figure for PBKDF2-SHA256), about 85 ms per load on a 2-core
  server.  A signer is loaded once and then signs many letters.
"""
from __future__ import annotations

import abc
import datetime
import hashlib
import io
import os
from dataclasses import dataclass

from asn1crypto import algos, cms
from asn1crypto import keys as asn1_keys
from asn1crypto import pem, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

KEY_SIZE = 2048
KDF_ITERATIONS = 600_000
ORGANIZATION = "e-Surat Development"
CA_VALIDITY = datetime.timedelta(days=3652)
DIGEST = 'sha256'


class WrongPassphrase(Exception):
    pass


class MalformedPDF(Exception):
    pass


# Keys -----------------------------------------------------------------------

def _encrypt_key(key, passphrase):
    "The PKCS#8 PEM of key encrypted with passphrase (see module docstring)"
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    salt, iv = os.urandom(16), os.urandom(16)
    secret = PBKDF2HMAC(
        hashes.SHA256(), 32, salt, KDF_ITERATIONS).derive(passphrase.encode())
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    data = encryptor.update(padder.update(der) + padder.finalize())
    info = asn1_keys.EncryptedPrivateKeyInfo({
            'encryption_algorithm': {
                'algorithm': 'pbes2',
                'parameters': {
                    'key_derivation_func': {
                        'algorithm': 'pbkdf2',
                        'parameters': {
                            'salt': algos.Pbkdf2Salt(
                                name='specified', value=salt),
                            'iteration_count': KDF_ITERATIONS,
                            'prf': {'algorithm': 'sha256'},
                            },
                        },
                    'encryption_scheme': {
                        'algorithm': 'aes256_cbc', 'parameters': iv},
                    },
                },
            'encrypted_data': data + encryptor.finalize(),
            })
    return pem.armor('ENCRYPTED PRIVATE KEY', info.dump())


def _decrypt_key(encrypted_key_pem, passphrase, certificate):
    """The private key, checked against the public key of certificate.

    RSA key validation (primality of p and q, 40 ms) is skipped: the key was
    generated here and must match its certificate, which is checked."""
    try:
        key = serialization.load_pem_private_key(
            encrypted_key_pem, passphrase.encode(),
            unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError) as exception:
        raise WrongPassphrase() from exception
    if key.public_key() != certificate.public_key():
        raise WrongPassphrase("The key does not match the certificate")
    return key


def _name(common_name, serial_number=None):
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if serial_number:
        attributes.append(
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    attributes.append(
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION))
    return x509.Name(attributes)


def _pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


def _common_name(name):
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else name.rfc4514_string()


@dataclass(frozen=True)
class Issued:
    serial: int
    certificate_pem: bytes
    encrypted_key_pem: bytes


class DevelopmentCA:
    "A certificate authority for the demo and the tests, never for production"

    def __init__(self, certificate, key, encrypted_key_pem,
            revoked=frozenset()):
        self.certificate = certificate
        self._key = key
        self.certificate_pem = _pem(certificate)
        self.encrypted_key_pem = encrypted_key_pem
        self.revoked = frozenset(revoked)

    @classmethod
    def create(cls, name, passphrase):
        key = rsa.generate_private_key(65537, KEY_SIZE)
        now = datetime.datetime.now(datetime.timezone.utc)
        public_key = key.public_key()
        certificate = (x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                    digital_signature=False, content_commitment=False,
                    key_encipherment=False, data_encipherment=False,
                    key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False),
                critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),
                critical=False)
            .sign(key, hashes.SHA256()))
        return cls(certificate, key, _encrypt_key(key, passphrase))

    @classmethod
    def load(cls, certificate_pem, encrypted_key_pem, passphrase,
            revoked=frozenset()):
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        key = _decrypt_key(encrypted_key_pem, passphrase, certificate)
        return cls(certificate, key, encrypted_key_pem, revoked=revoked)

    def issue(self, name, serial_number, passphrase, not_before, not_after):
        """A new key and certificate for name (serial_number is the NIP).

        The key is returned encrypted with the holder's passphrase."""
        key = rsa.generate_private_key(65537, KEY_SIZE)
        public_key = key.public_key()
        serial = x509.random_serial_number()
        ca_key_id = self.certificate.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier).value
        certificate = (x509.CertificateBuilder()
            .subject_name(_name(name, serial_number))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.BasicConstraints(ca=False, path_length=None),
                critical=True)
            .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=True,
                    key_encipherment=False, data_encipherment=False,
                    key_agreement=False, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False),
                critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),
                critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier
                .from_issuer_subject_key_identifier(ca_key_id),
                critical=False)
            .sign(self._key, hashes.SHA256()))
        return Issued(
            serial=serial,
            certificate_pem=_pem(certificate),
            encrypted_key_pem=_encrypt_key(key, passphrase))

    def validate(self, pdf):
        "Validate pdf against this CA and its revoked serials"
        return validate(pdf, self.certificate_pem, revoked=self.revoked)


# Signing --------------------------------------------------------------------

class Signer(abc.ABC):
    "What signs a letter: the local development signer or a provider (BSrE)"

    @abc.abstractmethod
    def sign(self, pdf, *, field_name='Signature1', reason=None,
            location=None, name=None):
        "Return pdf with a PAdES signature added"


def _der(tag, *parts):
    "A DER TLV with the given tag around the concatenated parts"
    content = b''.join(parts)
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, 'big')
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


_INTEGER_1 = b'\x02\x01\x01'
_SEQUENCE, _SET, _OCTET_STRING, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0


class _KeySigner(signers.Signer):
    """pyHanko signer holding a loaded key, producing PAdES B-B containers.

    pyHanko's SimpleSigner parses its key again for every signature and
    builds the CMS with asn1crypto, whose re-encoding of the nested
    structures took 15 ms per signature.  Here everything but the document
    digest and the signature value is encoded once, and the CMS (RFC 5652
    SignedData: content type, message digest and ESS signing-certificate-v2
    signed attributes, as PAdES requires, no signing-time attribute) is
    assembled from DER pieces."""

    def __init__(self, key, signing_cert, ca_cert):
        registry = SimpleCertificateStore()
        registry.register(ca_cert)
        super().__init__(
            signing_cert=signing_cert, cert_registry=registry,
            embed_roots=True)
        self._key = key
        self._signature_size = key.key_size // 8
        ess = tsp.SigningCertificateV2({'certs': [tsp.ESSCertIDv2({
                            'hash_algorithm': {'algorithm': DIGEST},
                            'cert_hash': hashlib.sha256(
                                signing_cert.dump()).digest(),
                            'issuer_serial': {
                                'issuer': [asn1_x509.GeneralName({
                                            'directory_name':
                                            signing_cert.issuer})],
                                'serial_number': signing_cert.serial_number,
                                },
                            })]})
        self._content_type_attribute = cms.CMSAttribute({
                'type': 'content_type', 'values': ['data']}).dump()
        self._ess_attribute = cms.CMSAttribute({
                'type': 'signing_certificate_v2', 'values': [ess]}).dump()
        self._message_digest_type = cms.CMSAttributeType(
            'message_digest').dump()
        self._digest_algorithm = algos.DigestAlgorithm({
                'algorithm': DIGEST}).dump()
        self._signature_algorithm = algos.SignedDigestAlgorithm({
                'algorithm': 'rsassa_pkcs1v15'}).dump()
        self._signer_id = cms.IssuerAndSerialNumber({
                'issuer': signing_cert.issuer,
                'serial_number': signing_cert.serial_number}).dump()
        # certificates: [0] IMPLICIT SET OF, in DER order
        self._certificates = _der(
            _CONTEXT_0, *sorted(c.dump() for c in (signing_cert, ca_cert)))
        self._data_type = cms.ContentType('data').dump()
        self._signed_data_type = cms.ContentType('signed_data').dump()

    def build_cms(self, data_digest, dry_run=False):
        "The DER ContentInfo signing data_digest (SHA-256 of the document)"
        message_digest = _der(
            _SEQUENCE, self._message_digest_type,
            _der(_SET, _der(_OCTET_STRING, data_digest)))
        # SET OF in DER: elements sorted by their encoding
        attributes = b''.join(sorted([
                    self._content_type_attribute, message_digest,
                    self._ess_attribute]))
        if dry_run:
            signature = bytes(self._signature_size)
        else:
            signature = self._key.sign(
                _der(_SET, attributes), PKCS1v15(), hashes.SHA256())
        signer_info = _der(
            _SEQUENCE, _INTEGER_1, self._signer_id, self._digest_algorithm,
            _der(_CONTEXT_0, attributes), self._signature_algorithm,
            _der(_OCTET_STRING, signature))
        signed_data = _der(
            _SEQUENCE, _INTEGER_1, _der(_SET, self._digest_algorithm),
            _der(_SEQUENCE, self._data_type), self._certificates,
            _der(_SET, signer_info))
        return _der(
            _SEQUENCE, self._signed_data_type,
            _der(_CONTEXT_0, signed_data))

    async def async_sign(self, data_digest, digest_algorithm, dry_run=False,
            use_pades=False, timestamper=None, **kwargs):
        "The container pyHanko embeds; always the PAdES form"
        if digest_algorithm.lower() != DIGEST or timestamper is not None:
            raise ValueError("Only SHA-256 without timestamp is supported")
        return cms.ContentInfo.load(self.build_cms(data_digest, dry_run))

    async def async_sign_raw(self, data, digest_algorithm, dry_run=False):
        if dry_run:
            return bytes(self._signature_size)
        return self._key.sign(
            data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class LocalSigner(Signer):
    "Signs with a certificate whose encrypted key we hold"

    def __init__(self, certificate_pem, encrypted_key_pem, passphrase,
            ca_certificate_pem):
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        key = _decrypt_key(encrypted_key_pem, passphrase, certificate)
        self._certificate = certificate
        signing_cert = asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER))
        ca_cert = asn1_x509.Certificate.load(pem.unarmor(
                ca_certificate_pem)[2])
        self._signer = _KeySigner(key, signing_cert, ca_cert)
        self._bytes_reserved = self._estimate_size()

    @property
    def serial(self):
        return self._certificate.serial_number

    @property
    def subject(self):
        "The common name of the certificate"
        return _common_name(self._certificate.subject)

    def _estimate_size(self):
        """Bytes to reserve for the signature, computed once.

        The container has a fixed size: the same certificates and attributes
        every time, and an RSA signature as long as the modulus.  It is
        written in hexadecimal, hence twice its size, plus a small margin."""
        return 2 * len(self._signer.build_cms(bytes(32), dry_run=True)) + 64

    def sign(self, pdf, *, field_name='Signature1', reason=None,
            location=None, name=None):
        meta = signers.PdfSignatureMetadata(
            field_name=field_name, reason=reason, location=location,
            name=name, md_algorithm=DIGEST,
            subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(
            meta, self._signer,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        output = pdf_signer.sign_pdf(
            writer, bytes_reserved=self._bytes_reserved, in_place=True)
        return output.getvalue()


# Validation -----------------------------------------------------------------

@dataclass(frozen=True)
class Validation:
    """What validate found.

    intact: the covered bytes are unchanged and cover the whole file;
    valid: the signature is cryptographically valid for the covered bytes
    and chains to a trusted CA; trusted: the chain reaches a trusted CA
    (pyHanko only builds the chain of a valid signature, so trusted implies
    valid); revoked: the signer's serial is in the revoked set, whatever
    the rest; signed_at: the signing time claimed by the signer (PAdES puts
    it in the signature dictionary, no timestamp proves it)."""
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    revoked: bool = False
    signer: str | None = None
    serial: int | None = None
    signed_at: datetime.datetime | None = None


def _trust_roots(trust_pem):
    if isinstance(trust_pem, (bytes, bytearray)):
        trust_pem = [trust_pem]
    roots = []
    for data in trust_pem:
        for _, _, der in pem.unarmor(bytes(data), multiple=True):
            roots.append(asn1_x509.Certificate.load(der))
    return roots


def validate(pdf, trust_pem, revoked=frozenset()):
    """Validate the last signature of pdf against the trusted CA(s).

    Raises MalformedPDF for anything that is not a readable signed PDF or
    whose signature cannot be parsed."""
    roots = _trust_roots(trust_pem)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return Validation()
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False,
            revocation_mode='soft-fail')
        status = validate_pdf_signature(signatures[-1], context)
        serial = status.signing_cert.serial_number
        common_name = status.signing_cert.subject.native.get('common_name')
        if isinstance(common_name, list):
            common_name = common_name[0]
        return Validation(
            intact=bool(
                status.intact
                and status.coverage == SignatureCoverageLevel.ENTIRE_FILE),
            valid=bool(status.intact and status.valid and status.trusted),
            trusted=bool(status.trusted),
            revoked=serial in revoked,
            signer=common_name,
            serial=serial,
            signed_at=status.signer_reported_dt)
    except Exception as exception:
        raise MalformedPDF(str(exception)) from exception
