# This file is part of e-Surat.  Classes are registered in tryton.cfg.
# The public verification route registers itself with trytond's WSGI app.
from . import routes  # noqa: F401
