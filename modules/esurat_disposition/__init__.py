# This file is part of e-Surat.  Classes are registered in tryton.cfg.
