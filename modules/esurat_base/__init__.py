# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
# Classes are registered in tryton.cfg.
from . import database

database.install()
