# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, urlencode

from trytond import config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.sendmail import get_smtp_server
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


class Mail(ClientWriteMixin, ModelSQL, ModelView):
    """Every email e-Surat sends goes through this outbox: it is stored in
    the transaction that decided to send it, tried right after the commit by
    a queued task, and tried again by a cron with a growing delay while the
    mail server fails.  A failing server never blocks or loses the action
    that sent the mail."""
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
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
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
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') == 'sent',
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
        "Try to send pending mails now; failures are kept for the cron"
        now = datetime.datetime.now()
        for mail in mails:
            if mail.state != 'pending':
                continue
            try:
                # One connection and one try per mail: retrying is the
                # cron's, and trytond's send_message would reconnect
                # without the timeout
                server = get_smtp_server(smtp_uri(), strict=True)
                try:
                    server.send_message(mail._message())
                finally:
                    # Accepted means sent: a QUIT that times out must not
                    # count the mail as failed and send it again
                    server.close()
            except Exception as error:
                mail.attempts = (mail.attempts or 0) + 1
                mail.last_error = str(error) or error.__class__.__name__
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.state = 'failed'
                    mail.next_attempt = None
                else:
                    delay = min(2 ** mail.attempts, 240)
                    mail.next_attempt = now + datetime.timedelta(
                        minutes=delay)
            else:
                mail.state = 'sent'
                mail.sent_at = now
                mail.next_attempt = None
                mail.attempts = (mail.attempts or 0) + 1
            mail.save()

    @classmethod
    def send_pending(cls):
        "Cron: send the mails whose next attempt is due"
        now = datetime.datetime.now()
        cls.send(cls.search([
                    ('state', '=', 'pending'),
                    ['OR',
                        ('next_attempt', '=', None),
                        ('next_attempt', '<=', now)],
                    ], order=[('id', 'ASC')], limit=500))

    @classmethod
    @ModelView.button
    def retry(cls, mails):
        cls.write(mails, {'state': 'pending', 'next_attempt': None})
        cls.send(mails)
