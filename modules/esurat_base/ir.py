from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, check_access


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        if Transaction().user:
            context['esurat_user'] = Transaction().user
            context['esurat_positions'] = User.get_esurat_positions()
            context['esurat_agencies'] = User.get_esurat_agencies()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if Transaction().user:
            key = (*key,
                Transaction().user,
                tuple(User.get_esurat_positions()),
                tuple(User.get_esurat_agencies()))
        return key


class ChatChannel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def check_access(cls, resource):
        "Read the thread of an e-Surat record only if the record is readable"
        pool = Pool()
        super().check_access(resource)
        model, id_ = str(resource).split(',')
        if model.startswith('esurat.'):
            with check_access():
                pool.get(model).read([int(id_)], ['id'])
