# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta


class Mobile(metaclass=PoolMeta):
    __name__ = 'esurat.mobile'

    @classmethod
    def home_links(cls):
        "The citizens' requests waiting for the user at their stage"
        pool = Pool()
        Request = pool.get('portal.request')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        links = super().home_links()
        actors = {ModelData.get_id('portal_emas', g) for g in [
                'group_portal_area_head', 'group_portal_staff']}
        if not actors & set(User.get_groups()):
            return links
        links.append({
                'path': 'permohonan',
                'count': Request.search_count([('to_act', '=', True)]),
                'label': gettext('portal_emas.msg_phone_home_requests'),
                })
        return links
