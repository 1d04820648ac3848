#!/usr/bin/env python3
"""make_seeds.py - (re)write the hand-made and extracted seeds of the fuzz
corpora. The files are committed; this script says how they were made.

    fuzz/corpus/make_seeds.py [SISIMAI_DIR]

Hand-made seeds are named hm-*, seeds extracted from single lines of the
Sisimai corpus (Received: values, address fields, diagnostics) ex-*.
Whole Sisimai messages (sisimai-*) were copied by a one-off selection (one
per bounce engine for bounce/, the widest spread of MIME and header
features for mime/ and header/); see README.md. Files stay under 100 KB.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SISIMAI = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, '../../../shared/corpus/sisimai')


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    assert len(data) < 100 * 1024, (target, name, len(data))
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def eol(text, nl):
    return text.replace('\n', nl)


# -- header ------------------------------------------------------------

SIMPLE = """From: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <taro@example.jp>
To: "Hanako" <hanako@example.com>, jiro@example.net
Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?= =?UTF-8?Q?_world?=
 folded continuation
Message-ID: <20240101.abc@example.jp> (comment)
Date: Mon, 1 Jan 2024 09:00:00 +0900

body
"""


def header_seeds():
    for nl, tag in (('\n', 'lf'), ('\r\n', 'crlf'), ('\r', 'cr')):
        put('header', 'hm-simple-' + tag, eol(SIMPLE, nl))
    put('header', 'hm-empty', b'')
    put('header', 'hm-only-blank-line', b'\n\nbody')
    put('header', 'hm-no-body', b'Subject: no body, no blank line')
    put('header', 'hm-continuation-first',
        b' leading continuation\nSubject: x\n\n')
    put('header', 'hm-no-colon-lines',
        b'From x@y Mon Jan 1 00:00:00 2024\nnot a field\nSubject: s\n'
        b'>From quoted\nTo: t@example.com\n\n')
    put('header', 'hm-space-before-colon',
        b'Subject : spaced\nX-Empty:\nX-Tab:\t\tv\t\n:nameless\n\n')
    put('header', 'hm-nul-bytes',
        b'Subject: a\x00b\x00\nX-N\x00ame: v\nTo: \x00\x00\n\n\x00body')
    put('header', 'hm-mixed-eol', b'A: 1\r\nB: 2\nC: 3\rD: 4\r\n\r\nbody')
    put('header', 'hm-cr-cr-lf', b'A: 1\r\r\nB: 2\r\r\n\r\r\nbody')
    words = [
        '=?iso-2022-jp?B?GyRCJCIkJCQmJCgkKhsoQg==?=',
        '=?Shift_JIS?B?gqCCooKk?=',
        '=?EUC-JP?Q?=A4=A2=A4=A4?=',
        '=?utf-8*ja?B?44GC?=',
        '=?x-unknown-charset?B?YWJj?=',
        '=?utf-8?B?broken!base64*?=',
        '=?utf-8?Q?=ZZ=4?=',
        '=?utf-8?X?unknown-encoding?=',
        '=?utf-8?B??=',
        '=??B?YWJj?=',
        '=?utf-8?B?YWJj',
        '=?utf-8?Q?a_b?= =?utf-8?Q?c?=\t=?utf-8?Q?d?=',
        '=?utf-8?B?4oKs?==?utf-8?B?4oKs?=',
        '=?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=',
        '=?gb2312?B?xOO6ww==?=',
        '=?windows-1252?Q?caf=E9?=',
        '=?unicode-1-1-utf-7?Q?+ZeVnLIqe-?=',
        '=?' + 'x' * 80 + '?B?YWJj?=',
    ]
    put('header', 'hm-encoded-words',
        ''.join('Subject: %s\n' % w for w in words) + '\n')
    put('header', 'hm-raw-8bit',
        b'Subject: \x1b$B$3$s$K$A$O\x1b(B\n'     # raw ISO-2022-JP
        b'X-Sjis: \x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\n'
        b'X-Utf8: \xe3\x81\x93\xe3\x82\x93\n'
        b'X-Latin1: caf\xe9\n'
        b'X-Bad: \xff\xfe\xc0\x80\xed\xa0\x80\n\n')
    put('header', 'hm-msgids',
        b'Message-ID: <a@b>\nIn-Reply-To: <x@y> <z@w>\n'
        b'References: no-brackets@host\nMessage-ID: <>\n'
        b'Message-ID: < spaced @ host >\nMessage-ID: <<nested>@h>\n'
        b'Message-ID: (only a comment)\nMessage-ID: <unterminated@h\n\n')
    put('header', 'hm-huge-line',
        b'Subject: ' + b'x' * 90000 + b'\nTo: a@b\n\n')
    put('header', 'hm-huge-folded',
        b'Subject: ' + b'word\n ' * 15000 + b'end\n\n')
    put('header', 'hm-many-fields',
        b''.join(b'X%d: v\n' % i for i in range(2500)) + b'\n')
    put('header', 'hm-many-encoded-words',
        b'Subject: ' + b'=?utf-8?B?YQ==?= ' * 1500 + b'\n\n')


# -- mime --------------------------------------------------------------

def part(ctype, body, extra=''):
    return 'Content-Type: %s\n%s\n%s\n' % (ctype, extra, body)


def mime_seeds():
    simple = ('MIME-Version: 1.0\nContent-Type: multipart/mixed; '
              'boundary="b1"\n\npreamble\n--b1\n'
              'Content-Type: text/plain; charset=iso-2022-jp\n\n'
              '\x1b$B$3$s$K$A$O\x1b(B\n--b1\n'
              'Content-Type: text/plain; charset="utf-8"\n'
              'Content-Transfer-Encoding: base64\n\n44GT44KT\n--b1--\n'
              'epilogue\n')
    for nl, tag in (('\n', 'lf'), ('\r\n', 'crlf'), ('\r', 'cr')):
        put('mime', 'hm-multipart-' + tag, eol(simple, nl).encode(
            'latin-1'))
    put('mime', 'hm-empty', b'')
    put('mime', 'hm-no-headers', b'\njust a body\n')
    put('mime', 'hm-unclosed-boundary',
        b'Content-Type: multipart/mixed; boundary=u\n\n--u\n\nfirst\n'
        b'--u\nContent-Type: text/plain\n\nnever closed')
    put('mime', 'hm-no-boundary-param',
        b'Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n')
    put('mime', 'hm-boundary-absent',
        b'Content-Type: multipart/alternative; boundary="zz"\n\nno parts\n')
    put('mime', 'hm-empty-boundary',
        b'Content-Type: multipart/mixed; boundary=""\n\n--\n\nx\n----\n')
    put('mime', 'hm-long-boundary',
        b'Content-Type: multipart/mixed; boundary="' + b'B' * 300 +
        b'"\n\n--' + b'B' * 300 + b'\n\nx\n--' + b'B' * 300 + b'--\n')
    put('mime', 'hm-boundary-prefixes',
        b'Content-Type: multipart/mixed; boundary=a\n\n--a\n'
        b'Content-Type: multipart/mixed; boundary=ab\n\n--ab\n\ninner\n'
        b'--a\n\nouter-second\n--ab--\n--a--  \ntrailing\n')
    # Nesting past MW_MIME_DEPTH_MAX.
    deep = b''.join(b'--d%d\nContent-Type: multipart/mixed; boundary=d%d\n\n'
                    % (i, i + 1) for i in range(60))
    put('mime', 'hm-deep-nesting',
        b'Content-Type: multipart/mixed; boundary=d0\n\n' + deep +
        b'--d60\n\nleaf\n')
    rfc = b'Content-Type: message/rfc822\n\n' * 60 + b'Subject: bottom\n\nx\n'
    put('mime', 'hm-deep-rfc822', rfc)
    # More parts than MW_MIME_PARTS_MAX.
    put('mime', 'hm-many-parts',
        b'Content-Type: multipart/mixed; boundary=p\n\n' +
        b'--p\n\n' * 2100 + b'--p--\n')
    put('mime', 'hm-rfc822-base64',
        b'Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n'
        b'\nU3ViamVjdDogaW5uZXIKQ29udGVudC1UeXBlOiB0ZXh0L3BsYWluCgpoZWxs'
        b'bwo=\n')
    put('mime', 'hm-rfc822-qp',
        b'Content-Type: message/global\nContent-Transfer-Encoding: '
        b'quoted-printable\n\nSubject: =E3=81=82\n\nbody=\n soft\n')
    put('mime', 'hm-digest',
        b'Content-Type: multipart/digest; boundary=g\n\n--g\n\n'
        b'Subject: one\n\nfirst\n--g\nContent-Type: text/plain\n\n'
        b'plain\n--g--\n')
    put('mime', 'hm-rfc822-headers',
        b'Content-Type: multipart/report; report-type=delivery-status; '
        b'boundary=r\n\n--r\n\ntext\n--r\n'
        b'Content-Type: text/rfc822-headers\n\nSubject: orig\n'
        b'Message-ID: <o@x>\n--r--\n')
    put('mime', 'hm-rfc2231-params',
        b"Content-Type: text/plain;\n title*0*=us-ascii'en'This%20is;\n"
        b" title*1*=%20fun; title*3=gap; charset*=utf-8''%E3%81%82;\n"
        b" name*=iso-2022-jp''%1B$B$\"%1B(B; bad*=%%ZZ; name*0=a;\n"
        b" =noname; ;;; novalue\n"
        b"Content-Disposition: attachment; filename*0*=utf-8''%E3%81;"
        b" filename*1*=%82.txt\n\nx\n")
    put('mime', 'hm-broken-base64',
        b'Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
        b'YW Jj\n!!!!\n=YWJj==x\nY\n')
    put('mime', 'hm-broken-qp',
        b'Content-Type: text/plain; charset=utf-8\n'
        b'Content-Transfer-Encoding: Quoted-Printable\n\n'
        b'a=\nb=3\n=ZZ=e3=81=82=\r\n=  \n=')
    put('mime', 'hm-unknown-charset',
        b'Content-Type: text/plain; charset=x-no-such-charset\n\n\xff\xfe\n')
    put('mime', 'hm-sjis-body',
        b'Content-Type: text/plain; charset=Shift_JIS\n'
        b'Content-Transfer-Encoding: 8bit\n\n\x82\xb1\x82\xf1\x82\xc9\n')
    put('mime', 'hm-nul-bytes',
        b'Content-Type: multipart/mixed; boundary=n\x00\n\n--n\x00\n\n'
        b'\x00\x00\n--n\x00--\n')
    put('mime', 'hm-huge-line',
        b'Content-Type: text/plain\n\n' + b'y' * 90000 + b'\n')
    put('mime', 'hm-bad-content-type',
        b'Content-Type: ;;; /\nContent-Type: text/\n'
        b'Content-Transfer-Encoding: x-uuencode\n\nbody\n')


# -- bounce ------------------------------------------------------------

DSN = """From: MAILER-DAEMON@mx.example.jp (Mail Delivery System)
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="B1"

--B1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

<nobody@example.jp>: host mx.example.jp[192.0.2.1] said: 550 5.1.1
    <nobody@example.jp>: Recipient address rejected: User unknown

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.jp
Arrival-Date: Mon, 1 Jan 2024 09:00:00 +0900

Final-Recipient: rfc822; nobody@example.jp
Original-Recipient: rfc822;Nobody@Example.JP
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.jp
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.jp>: Recipient address
    rejected: User unknown

--B1
Content-Type: message/rfc822

Return-Path: <prvs=0123456789=sender@example.com>
Received: from submit.example.com (submit.example.com [198.51.100.7])
\tby mx.example.com (Postfix) with ESMTPSA id 4ABC;
\tMon, 1 Jan 2024 08:59:59 +0900
Message-ID: <orig.1@example.com>
From: =?ISO-2022-JP?B?GyRCO1RGYhsoQg==?= <sender@example.com>
To: nobody@example.jp
Subject: =?UTF-8?B?44GK55+l44KJ44Gb?=
Date: Mon, 1 Jan 2024 08:59:59 +0900

hello
--B1--
"""


def bounce_seeds():
    for nl, tag in (('\n', 'lf'), ('\r\n', 'crlf'), ('\r', 'cr')):
        put('bounce', 'hm-dsn-' + tag, eol(DSN, nl))
    put('bounce', 'hm-dsn-unclosed', DSN[:DSN.index('Final-Recipient')])
    put('bounce', 'hm-dsn-headers-only', DSN[:DSN.index('\n\n') + 1])
    many = ''.join('Final-Recipient: rfc822; u%d@example.jp\nAction: failed'
                   '\nStatus: 5.1.1\n\n' % i for i in range(600))
    put('bounce', 'hm-dsn-600-recipients',
        DSN.replace('Final-Recipient', many + 'Final-Recipient', 1))
    put('bounce', 'hm-dsn-nul',
        DSN.replace('Status: 5.1.1', 'Status: 5.\x001.1').replace(
            'nobody@', 'no\x00body@'))
    put('bounce', 'hm-dsn-garbage-fields',
        DSN.replace('Status: 5.1.1', 'Status: 9.999.9999999999999')
        .replace('rfc822; nobody@example.jp', 'rfc822;')
        .replace('Action: failed', 'Action:'))
    put('bounce', 'hm-qmail',
        'From: MAILER-DAEMON@mx.example.com\nSubject: failure notice\n\n'
        'Hi. This is the qmail-send program at mx.example.com.\n'
        "I'm afraid I wasn't able to deliver your message to the following "
        'addresses.\nThis is a permanent error; I\'ve given up. Sorry it '
        "didn't work out.\n\n<nobody@example.net>:\n192.0.2.5 does not like "
        'recipient.\nRemote host said: 550 5.1.1 unknown user\nGiving up on'
        ' 192.0.2.5.\n\n--- Below this line is a copy of the message.\n\n'
        'Message-ID: <q@example.com>\nFrom: a@example.com\nSubject: hi\n\n'
        'x\n')
    put('bounce', 'hm-sendmail',
        'From: Mail Delivery Subsystem <MAILER-DAEMON@example.org>\n'
        'Subject: Returned mail: see transcript for details\n\n'
        '   ----- The following addresses had permanent fatal errors -----\n'
        '<gone@example.org>\n    (reason: 550 5.1.1 User unknown)\n\n'
        '   ----- Transcript of session follows -----\n'
        '... while talking to mx.example.org.:\n>>> RCPT To:<gone@example.org>'
        '\n<<< 550 5.1.1 <gone@example.org>... User unknown\n\n'
        '   ----- Original message follows -----\n\nMessage-Id: <s@e>\n'
        'Subject: orig\n\n')
    put('bounce', 'hm-autoreply',
        'From: hanako@example.jp\nTo: taro@example.com\n'
        'Auto-Submitted: auto-replied\nSubject: Out of office\n'
        'Precedence: auto_reply\nX-Autoreply: yes\n\n'
        'I am away until Monday.\n')
    put('bounce', 'hm-arf',
        'From: abuse@example.net\nSubject: FW: report\nMIME-Version: 1.0\n'
        'Content-Type: multipart/report; report-type=feedback-report; '
        'boundary=f\n\n--f\nContent-Type: text/plain\n\nabuse report\n--f\n'
        'Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n'
        'User-Agent: x/1\nVersion: 1\nOriginal-Rcpt-To: <r@example.net>\n'
        'Source-IP: 192.0.2.9\n--f\nContent-Type: message/rfc822\n\n'
        'From: s@example.com\nMessage-ID: <arf@x>\n\nspam\n--f--\n')
    put('bounce', 'hm-not-bounce',
        'From: friend@example.com\nTo: me@example.jp\nSubject: lunch?\n\n'
        'Are you free?\n')
    put('bounce', 'hm-empty', b'')
    put('bounce', 'hm-rfc822-chain',
        'From: MAILER-DAEMON@x\nContent-Type: message/rfc822\n\n' * 40 +
        'Message-ID: <deep@x>\n\n')


# -- received ----------------------------------------------------------

RECEIVED = [
    'from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.jp '
    '(Postfix) with ESMTPS id 4AbC for <u@example.jp>; '
    'Mon, 1 Jan 2024 09:00:00 +0900 (JST)',
    'from client.example (unknown [2001:db8::1]) (Authenticated sender: '
    'taro) by smtp.example.jp (Postfix) with ESMTPSA id X; '
    'Mon, 1 Jan 2024 09:00:00 +0900',
    'from [IPv6:2001:DB8:0:0:0:0:0:1] (helo=laptop) by mx with esmtpsa '
    '(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <a@b>) '
    'id 1r-00 for c@d; Mon, 01 Jan 2024 00:00:00 +0000',
    'from [192.0.2.3] (port=1234 helo=x) by h with esmtpa (Exim 4.94) '
    '(envelope-from <a@b>) authenticated_id: user@example.com id 1; '
    'Tue, 2 Jan 2024 00:00:00 +0000',
    'from host (HELO helo.example) (198.51.100.2) by mx.example with SMTP; '
    '3 Jan 2024 00:00:00 -0000',
    'from unknown (HELO ?192.0.2.9?) (user@[192.0.2.9]) (envelope-sender '
    '<a@b>) by smtp.example (qmail-ldap-1.03) with SMTP; '
    '4 Jan 2024 00:00:00 -0000',
    'from laptop (p123.example.net [203.0.113.5] (may be forged)) '
    '(authenticated bits=0) by mail.example.org (8.15.2/8.15.2) with ESMTP '
    'id 0ABC (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 '
    'verify=NO); Fri, 5 Jan 2024 00:00:00 +0100',
    'from PS1PR01MB0001.apcprd01.prod.exchangelabs.com '
    '(2603:1096:803:1::10) by PS1PR01MB0002.apcprd01.prod.exchangelabs.com'
    ' with HTTPS via PS1PR0101CA0001.APCPRD01.PROD.OUTLOOK.COM; '
    'Sat, 6 Jan 2024 00:00:00 +0000',
    'from EX01.corp.example.com (10.0.0.1) by EX02.corp.example.com '
    '(10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, '
    'cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.6 via '
    'Frontend Transport; Sun, 7 Jan 2024 00:00:00 +0900',
    'by 2002:a05:6a10:1234:b0:4a2:1234:5678 with SMTP id x; '
    'Mon, 8 Jan 2024 00:00:00 -0800 (PST)',
    'from mail-sor-f41.google.com (mail-sor-f41.google.com. '
    '[209.85.220.41]) by mx.google.com with SMTPS id abc.12.2024 for '
    '<u@gmail.com> (Google Transport Security); Tue, 9 Jan 2024',
    'from [127.0.0.1] (localhost [127.0.0.1]) by a with LMTP',
    'from x ([::ffff:192.0.2.44]) by y',
    'from x (y [300.1.2.3]) by z; not a date',
    'from (((((((((((((((((((((((((((((((( by x',
    'from x (y [192.0.2.1 by z (comment (nested (deep))) with; ;; ;',
    'from\tx\t(\t[\t192.0.2.1\t]\t)\tby\ty',
    '(qmail 12345 invoked by uid 89); 10 Jan 2024 00:00:00 -0000',
    'from localhost by mail.example.com (Courier ESMTP) with ESMTP id 1; '
    'Thu, 11 Jan 2024 00:00:00 +0900',
    'from example.com by example.com (8.8.8/8.8.8) with SMTP id 1 for '
    'u@example.com; Fri, 12 Jan 2024',
    'from user by localhost with local (Exim 4.96) (envelope-from <u@x>) '
    'id 1; ',
    '',
    ';',
    'from',
    'from [',
    'from [IPv6:',
    'from x (auth=someone) by y with esmtpa',
    'from x by y with ESMTPSA (using TLSv1.3 with cipher '
    'TLS_AES_256_GCM_SHA384 (256/256 bits)); Sat, 13 Jan 2024 00:00:00 +0000',
]


def received_seeds():
    for i, v in enumerate(RECEIVED):
        put('received', 'hm-value-%02d' % i, v)
    # As header sections: several hops, newest first, as messages carry them.
    hops = ''.join('Received: %s\n' % v for v in RECEIVED[:8])
    put('received', 'hm-section-8-hops', hops + '\nbody\n')
    put('received', 'hm-section-folded-crlf',
        'Received: from a (a [192.0.2.1])\r\n\tby b; '
        'Mon, 1 Jan 2024 00:00:00 +0000\r\nReceived: from c ([10.0.0.1])\r\n'
        ' by a\r\n\r\n')
    put('received', 'hm-section-150-hops',
        ''.join('Received: from h%d ([192.0.2.%d]) by h%d\n' %
                (i, i % 250 + 1, i + 1) for i in range(150)) + '\n')
    extracted = extract_received()
    for i, v in enumerate(extracted):
        put('received', 'ex-value-%02d' % i, v)


def shape(v):
    keep = {b'from', b'by', b'with', b'id', b'for', b'via', b'helo',
            b'using', b'envelope-from', b'authenticated', b'tls', b'esmtp',
            b'esmtps', b'esmtpa', b'esmtpsa', b'smtp', b'lmtp', b'http',
            b'https', b'ipv6', b'version', b'cipher', b'sender', b'local'}
    s = re.sub(rb'[A-Za-z0-9._:=-]+',
               lambda m: m.group(0).lower()
               if m.group(0).lower() in keep else b'w', v)
    return re.sub(rb'(w ?)+', b'w', s.split(b';')[0])


def extract_received(limit=45):
    seen, out = set(), []
    eml = os.path.join(SISIMAI, 'eml')
    for f in sorted(os.listdir(eml)):
        b = open(os.path.join(eml, f), 'rb').read()
        for m in re.finditer(rb'^Received:(.*(?:\r?\n[ \t].*)*)', b,
                             re.M | re.I):
            v = re.sub(rb'\r?\n[ \t]+', b' ', m.group(1)).strip()
            sh = shape(v)
            if sh in seen or len(v) > 2000:
                continue
            seen.add(sh)
            out.append(v)
    # The most varied first: rare shapes are longer.
    out.sort(key=lambda v: -len(shape(v)))
    return out[:limit]


# -- address -----------------------------------------------------------

ADDRESSES = [
    'taro@example.jp',
    '"Yamada, Taro" <taro@Example.JP>',
    'Taro Yamada <taro@example.jp>, hanako@example.com; jiro@example.net',
    '=?ISO-2022-JP?B?GyRCO1MFRBsoQg==?= <t@example.jp>',
    '\x1b$B;3ED\x1b(B <raw-jis@example.jp>',
    'Mr. J. Smith <smith@example.com>',
    'undisclosed-recipients:;',
    'friends: a@b.example, "c d" <c@d.example>; , e@f.example',
    '<@relay1.example,@relay2.example:user@final.example>',
    'rfc822; Nobody@Example.JP',
    'rfc822;<x@y.example>',
    '"quoted local"@example.com',
    '"plain"@example.com',
    '"a\\"b\\\\c"@example.com',
    'user (comment (nested)) @ example . com',
    '(comment only)',
    'trailing.dot.@example.com.',
    '<>',
    'postmaster',
    'MAILER-DAEMON',
    'a@b@c',
    '@nolocal.example',
    'nodomain@',
    '<unterminated@example.com',
    'name <a@b> junk <c@d>',
    '"unterminated quote <x@y>',
    '\x00@\x00.com, x\x00y@example.com',
    'user@[192.0.2.1]',
    'user@[IPv6:2001:db8::1]',
    '\xe5\xb1\xb1\xe7\x94\xb0 <utf8@example.jp>',
    'a@b.c, ' * 1200,
    '(' * 3000 + 'x@y.z',
    ';;;;,,,,;;;',
    'group: ;, other: inner@example.com;',
    'x' * 600 + '@example.com',
    'u@' + 'd' * 300 + '.com',
]

FREE_TEXT = [
    '550 5.1.1 <nobody@example.jp>: Recipient address rejected: '
    'User unknown in local recipient table',
    'RCPT TO:<a@b.example> ... 550 user unknown; also c@d.example',
    'Your message to kijitora@example.jp couldn\'t be delivered.',
    'mailto:x@y.example?subject=hi x@ @y .@. a@b',
    'no addresses here at all',
    '@@@@@@@@@@@@@@@@@@@@@@@@@',
    'a@b.c' * 300,
    '<' * 500 + 'in@side.example' + '>' * 500,
    'user@localhost then user@example.COM.',
    '\xe5\x8f\x97\xe4\xbf\xa1\xe8\x80\x85 taro@example.jp \xe3\x81\xaf',
]


def address_seeds():
    for i, v in enumerate(ADDRESSES):
        put('address', 'hm-list-%02d' % i, v.encode('latin-1'))
    for i, v in enumerate(FREE_TEXT):
        put('address', 'hm-text-%02d' % i, v.encode('latin-1'))
    seen, n = set(), 0
    eml = os.path.join(SISIMAI, 'eml')
    for f in sorted(os.listdir(eml)):
        b = open(os.path.join(eml, f), 'rb').read()
        for m in re.finditer(
                rb'^(?:From|To|Cc|Reply-To|Return-Path|Final-Recipient|'
                rb'Original-Recipient|X-Failed-Recipients):(.*(?:\r?\n[ \t]'
                rb'.*)*)', b, re.M | re.I):
            v = re.sub(rb'\r?\n[ \t]+', b' ', m.group(1)).strip()
            sh = re.sub(rb'[A-Za-z0-9]+', b'w', v)
            if sh in seen or len(v) > 1000 or n >= 40:
                continue
            seen.add(sh)
            put('address', 'ex-field-%02d' % n, v)
            n += 1


if __name__ == '__main__':
    header_seeds()
    mime_seeds()
    bounce_seeds()
    received_seeds()
    address_seeds()
