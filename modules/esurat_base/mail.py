# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, urlencode

from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp

from trytond import backend, config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.sendmail import get_smtp_server
from trytond.transaction import Transaction
from trytond.url import host

from .access import ClientWriteMixin

MAX_ATTEMPTS = 12


def smtp_uri():
    """[email] uri with a timeout, its own or [esurat] smtp_timeout: without
    one a server that accepts the connection and never answers hangs its
    sender forever"""
    uri = config.parse_uri(config.get('email', 'uri'))
    query = parse_qs(uri.query)
    query.setdefault(
        'timeout', [config.getint('esurat', 'smtp_timeout', default=10)])
    return uri._replace(query=urlencode(query, doseq=True)).geturl()


def sending_timeout():
    """How long a mail may stay claimed by a sender: [esurat]
    mail_sending_timeout (minutes); past it the sender is taken for dead"""
    return datetime.timedelta(
        minutes=config.getint('esurat', 'mail_sending_timeout', default=15))


class Mail(ClientWriteMixin, ModelSQL, ModelView):
    """Every email e-Surat sends goes through this outbox: it is stored in
    the transaction that decided to send it, tried right after the commit by
    a queued task, and tried again by a cron with a growing delay while the
    mail server fails.  A failing server never blocks or loses the action
    that sent the mail.  A sender claims each mail before sending it, so
    that the task and the cron never both send it."""
    __name__ = 'esurat.mail'
    __string__ = "Outgoing Email"

    to = fields.Char("To", required=True, readonly=True)
    subject = fields.Char("Subject", required=True, readonly=True)
    body = fields.Text("Body", required=True, readonly=True)
    attachment = fields.Binary(
        "Attachment", filename='attachment_name', file_id='attachment_id',
        store_prefix='esurat', readonly=True)
    attachment_name = fields.Char("Attachment Name", readonly=True)
    attachment_id = fields.Char("Attachment ID", readonly=True)
    resource = fields.Reference(
        "Resource", selection='get_resources', readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('sending', "Sending"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    claimed_at = fields.DateTime(
        "Claimed At", readonly=True,
        help="When a sender took the mail to send it.\n"
        "A mail sending for longer than the timeout is sent by the cron.")
    sent_at = fields.DateTime("Sent At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('id', 'DESC')]
        cls._sql_indexes.add(
            Index(t,
                (t.state, Index.Equality(cardinality='low')),
                (t.next_attempt, Index.Range()),
                where=t.state == 'pending'))
        cls._sql_indexes.add(
            Index(t,
                (t.claimed_at, Index.Range()),
                where=t.state == 'sending'))
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state').in_(['sending', 'sent']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def get_resources(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + [
            (m, n) for m, n in Model.get_name_items()
            if m.startswith('esurat.') or m.startswith('portal.')]

    @classmethod
    def enqueue(cls, recipients, subject, body, resource=None,
            attachment=None, attachment_name=None):
        """Store one mail per address and send them after the commit.

        recipients is an iterable of addresses; empty ones are ignored.
        attachment (bytes) is sent as a PDF named attachment_name."""
        return cls.enqueue_batch([{
                    'to': to,
                    'subject': subject,
                    'body': body,
                    'resource': resource,
                    'attachment': attachment,
                    'attachment_name': attachment_name,
                    } for to in sorted({r for r in recipients if r})])

    @classmethod
    def enqueue_batch(cls, vlist):
        """Store the mails of vlist (the values of to, subject, body and
        optionally resource, a record, attachment and attachment_name) and
        send them after the commit, in one queued task"""
        mails = cls.create([{
                    **values,
                    'resource': (str(values['resource'])
                        if values.get('resource') else None),
                    } for values in vlist])
        if mails:
            cls.__queue__.send(mails)
        return mails

    def _message(self):
        message = EmailMessage()
        message['From'] = config.get('email', 'from')
        message['To'] = self.to
        message['Subject'] = self.subject
        message['Date'] = formatdate()
        message['Message-ID'] = make_msgid(domain=host())
        message.set_content(self.body)
        if self.attachment:
            message.add_attachment(
                bytes(self.attachment), maintype='application',
                subtype='pdf', filename=self.attachment_name or 'surat.pdf')
        return message

    @classmethod
    def send(cls, mails):
        """Send the pending mails of mails, one by one, each by one sender

        A mail is claimed in a transaction of its own, sent, and its outcome
        committed at once in another: a sender that lost the claim skips the
        mail, and a sender that dies leaves only that mail sending, for the
        cron to take over after the timeout.  Call it where the mails are
        not written yet (the queued task, the cron): the claim would wait
        for the caller's own lock."""
        transaction = Transaction()
        if (transaction.context.get('_request')
                and not config.getboolean('queue', 'worker', default=False)
                # Another connection cannot reach an in-memory database
                and transaction.database.name != ':memory:'):
            # Without workers, trytond runs the queued task in the request
            # that queued it, before answering: the user would wait for
            # every SMTP exchange. The mails are committed already, so a
            # thread of this process sends them; one it does not finish
            # (the process dies) is taken over by the cron.
            sender = threading.Thread(
                target=cls._send_detached,
                args=(transaction.database.name, [m.id for m in mails]),
                name='esurat-mail', daemon=True)
            # Once this task's own transaction is over, so that the claims
            # never wait for it
            transaction.atexit(sender.start)
            return
        # Nobody else sees a mail before the transaction that created it
        # commits (as ModelSQL.lock knows): it needs no claim and its outcome
        # is saved with that transaction
        created = set(transaction.create_records[cls.__name__])
        for mail in mails:
            if mail.id in created:
                if mail.state == 'pending':
                    mail.attempts = (mail.attempts or 0) + 1
                    mail._set_outcome(mail._deliver())
                    mail.save()
            elif cls._claim(mail):
                error = mail._deliver()
                with transaction.new_transaction():
                    claimed = cls(mail.id)
                    claimed._set_outcome(error)
                    claimed.save()

    @classmethod
    def _send_detached(cls, database, ids):
        "send() in a transaction of its own, outside any request"
        with Transaction().start(database, 0):
            cls.send(cls.browse(ids))

    @classmethod
    def _claim(cls, mail):
        """Make mail sending if it is pending, or sending for longer than
        the timeout (its sender died), and commit it; return whether this
        sender got it"""
        transaction = Transaction()
        database = transaction.database
        now = datetime.datetime.now()
        table, row = cls.__table__(), cls.__table__()
        claimable = row.select(
            row.id,
            where=(row.id == mail.id)
            & ((row.state == 'pending')
                | ((row.state == 'sending')
                    & (row.claimed_at < now - sending_timeout()))))
        if database.has_select_for():
            # Skip a row another sender is claiming instead of waiting for
            # it (as ir.queue does)
            claimable.for_ = database.get_select_for_skip_locked()('UPDATE')
        try:
            with transaction.new_transaction() as claim:
                cursor = claim.connection.cursor()
                cursor.execute(*table.update(
                        [table.state, table.claimed_at, table.attempts,
                            table.write_uid, table.write_date],
                        ['sending', now,
                            Coalesce(table.attempts, 0) + 1,
                            claim.user, CurrentTimestamp()],
                        where=table.id.in_(claimable)))
                return cursor.rowcount == 1
        except backend.DatabaseOperationalError:
            # Another sender changed it meanwhile (repeatable read): theirs
            return False

    def _deliver(self):
        "Try once to send the mail; return the error or None"
        try:
            # One connection and one try per mail: retrying is the cron's,
            # and trytond's send_message would reconnect without the timeout
            server = get_smtp_server(smtp_uri(), strict=True)
            try:
                server.send_message(self._message())
            finally:
                # Accepted means sent: a QUIT that times out must not count
                # the mail as failed and send it again
                server.close()
        except Exception as error:
            return error

    def _set_outcome(self, error):
        "Record the outcome of the attempt counted in attempts"
        now = datetime.datetime.now()
        if error is None:
            self.state = 'sent'
            self.sent_at = now
            self.next_attempt = None
            return
        self.last_error = str(error) or error.__class__.__name__
        if self.attempts >= MAX_ATTEMPTS:
            self.state = 'failed'
            self.next_attempt = None
        else:
            self.state = 'pending'
            self.next_attempt = now + datetime.timedelta(
                minutes=min(2 ** self.attempts, 240))

    @classmethod
    def send_pending(cls):
        """Cron: send the mails whose next attempt is due, and those whose
        sender died while sending them"""
        now = datetime.datetime.now()
        cls.send(cls.search(['OR', [
                        ('state', '=', 'pending'),
                        ['OR',
                            ('next_attempt', '=', None),
                            ('next_attempt', '<=', now)],
                        ], [
                        ('state', '=', 'sending'),
                        ('claimed_at', '<', now - sending_timeout()),
                        ]], order=[('id', 'ASC')], limit=500))

    @classmethod
    @ModelView.button
    def retry(cls, mails):
        "Send now, after the commit: the request never waits for SMTP"
        cls.write(mails, {'state': 'pending', 'next_attempt': None})
        cls.__queue__.send(mails)
