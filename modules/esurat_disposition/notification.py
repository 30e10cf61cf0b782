from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool
from trytond.transaction import Transaction


class Notification(Model):
    """e-Surat Notification

    Tells the people behind positions (holders and active delegates) about
    something that happened to a record: a notification in the client and
    an email through the outbox (esurat.mail), both in the recipient's
    language.  Only written at commit: a rolled back action tells nobody."""
    __name__ = 'esurat.notification'

    @classmethod
    def recipients(cls, positions=(), users=()):
        "The users behind positions today, plus users"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Delegation = pool.get('esurat.delegation')
        User = pool.get('res.user')
        position_ids = {p.id for p in positions if p}
        user_ids = {u.id for u in users if u}
        if position_ids:
            for holding in Holding.search([
                        ('position', 'in', list(position_ids)),
                        ('current', '=', True),
                        ]):
                user_ids.add(holding.user.id)
            for delegates in Delegation.delegates_of(position_ids).values():
                user_ids.update(delegates)
        return User.browse(sorted(user_ids))

    @classmethod
    def send(cls, message, record, positions=(), users=(), exclude=None,
            **variables):
        """Notify about record with the text of message (an ir.message id
        taking variables); exclude is the user who caused it"""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        if exclude is None:
            exclude = Transaction().user
        for user in cls.recipients(positions, users):
            if user.id == exclude or not user.active:
                continue
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                label = gettext(message, **variables)
                description = record.rec_name
            record.notify_user(
                'tryton-notification', label, description, user=user.id)
            if user.email:
                Mail.enqueue(
                    [user.email], label,
                    f'{label}\n\n{description}\n\n{record.__href__}',
                    resource=record)
