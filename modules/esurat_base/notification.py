# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict, namedtuple

from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool
from trytond.transaction import Transaction

from .letter import CONTENT_MASK, LetterHeadingMixin

Notice = namedtuple('Notice', ['message', 'record', 'positions', 'users',
        'variables'])


class Notification(Model):
    """Tells the people behind positions (their holders, and whoever else
    acts for them as the modules above add) about something that happened
    to a record: a notification in the client and an email through the
    outbox (esurat.mail), both in the recipient's language.  Only written
    at commit: a rolled back action tells nobody.  A batch of notices makes
    one email per address and one queued task for all of them."""
    __name__ = 'esurat.notification'
    __string__ = "Notification"

    @classmethod
    def notice(cls, message, record, positions=(), users=(), **variables):
        """What to tell about record: the text of message (an ir.message id
        taking variables) to the people behind positions and to users"""
        return Notice(message, record, tuple(p for p in positions if p),
            tuple(u for u in users if u), variables)

    @classmethod
    def position_users(cls, position_ids):
        "Ids of the users who hold or act for each position today"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        return Holding.position_users(list(position_ids))

    @classmethod
    def recipients(cls, notices):
        "The ids of the users each notice reaches, in the order of notices"
        users = cls.position_users(
            {p.id for n in notices for p in n.positions})
        return [
            {u.id for u in n.users}.union(
                *(users.get(p.id, ()) for p in n.positions))
            for n in notices]

    @classmethod
    def send(cls, message, record, positions=(), users=(), exclude=None,
            **variables):
        """Notify about record with the text of message (an ir.message id
        taking variables); exclude is the user who caused it"""
        cls.send_batch(
            [cls.notice(message, record, positions, users, **variables)],
            exclude=exclude)

    @classmethod
    def send_batch(cls, notices, exclude=None):
        """Notify each of notices (made by notice) to its users, except
        exclude (by default the current user): a client notification per
        notice and user, one email per address for the whole batch"""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        User = pool.get('res.user')
        if exclude is None:
            exclude = Transaction().user
        # The indexes in notices of what each user is told
        told = defaultdict(list)
        for index, user_ids in enumerate(cls.recipients(notices)):
            for user_id in user_ids - {exclude}:
                told[user_id].append(index)
        by_language = defaultdict(list)
        for user in User.browse(sorted(told)):
            if user.active:
                language = user.language.code if user.language else None
                by_language[language].append(user)
        # address: (language, [(record, label, lines)])
        emails = {}
        for language, users in by_language.items():
            with Transaction().set_context(language=language):
                texts = cls._texts(
                    notices, {i for u in users for i in told[u.id]})
            for user in users:
                for index in told[user.id]:
                    record = notices[index].record
                    label, lines = texts[index]
                    # The client's description is one line
                    record.notify_user(
                        'tryton-notification', label, ' · '.join(lines),
                        user=user.id)
                    if user.email:
                        emails.setdefault(user.email, (language, []))[
                            1].append((record, label, lines))
        mails = []
        for email, (language, items) in emails.items():
            with Transaction().set_context(language=language):
                mails.append(cls._mail(email, items))
        Mail.enqueue_batch(mails)

    @classmethod
    def _texts(cls, notices, indexes):
        """The label and the lines of description of the notices at
        indexes, by index, in the language of the context"""
        texts = {}
        for index in indexes:
            notice = notices[index]
            # Read in this language: an instance keeps the context it was
            # made in
            record = notice.record.__class__(notice.record.id)
            texts[index] = (
                gettext(notice.message, **notice.variables),
                cls._lines(record))
        return texts

    @classmethod
    def _lines(cls, record):
        """What the client notification and the email say of record: its
        name or, for a letter or what is about one, the letter's number and
        subject (masked when rahasia), original sender and urgency; then
        the link to open it, if any"""
        letter = cls._letter(record)
        lines = []
        if letter != record:
            lines.append(record.rec_name)
        if letter:
            # What a rahasia letter says stays in e-Surat, which an email
            # leaves
            lines.append(gettext('esurat_base.msg_notification_subject',
                    subject=CONTENT_MASK
                    if letter.confidentiality.restricted
                    else letter.rec_name))
            # An incoming letter names who wrote it, a drafted one is of
            # its unit
            sender = (letter.sender if 'sender' in letter._fields
                else letter.unit.rec_name if letter.unit else None)
            if sender:
                lines.append(gettext('esurat_base.msg_notification_sender',
                        sender=sender))
            lines.append(gettext('esurat_base.msg_notification_urgency',
                    urgency=letter.urgency.rec_name))
        link = cls.link(record)
        if link:
            lines.append(gettext('esurat_base.msg_notification_link',
                    url=link))
        return lines

    @classmethod
    def _letter(cls, record):
        """The letter (received or drafted) record is, or the letter of
        record, or None"""
        if isinstance(record, LetterHeadingMixin):
            return record
        if 'letter' in record._fields and isinstance(
                record.letter, LetterHeadingMixin):
            return record.letter

    @classmethod
    def link(cls, record):
        """The address where the user opens record outside the client, or
        None: a module serving its own pages extends it"""
        return None

    @classmethod
    def _mail(cls, email, items):
        """The values of the email that tells email the items: as the client
        notification when there is one, a digest otherwise"""
        if len(items) == 1:
            subject = items[0][1]
        else:
            subject = gettext(
                'esurat_base.msg_notification_digest_subject',
                count=len(items))
        records = {record for record, _, _ in items}
        return {
            'to': email,
            'subject': subject,
            'body': '\n\n-----\n\n'.join(
                f'{label}\n\n' + '\n'.join(lines)
                + f'\n\n{record.__href__}'
                for record, label, lines in items),
            'resource': records.pop() if len(records) == 1 else None,
            }
