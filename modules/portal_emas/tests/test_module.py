# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase

from .complaint_tests import ComplaintTestMixin
from .request_tests import RequestTestMixin


class PortalEmasTestCase(
        ComplaintTestMixin, RequestTestMixin, ModuleTestCase):
    "Test Portal Emas module"
    module = 'portal_emas'
    extras = ['esurat_disposition']


del ModuleTestCase
