/* test_received.c - Received: fields of every common MTA, and the trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "mail/received.h"

typedef struct want {
	const char *line;
	const char *host, *helo, *ip, *by, *proto, *id, *for_addr;
	bool tls, auth;
	const char *auth_as;
	const char *date;
} want;

static mw_arena arena;

static int setup(void **state)
{
	(void)state;
	mw_arena_init(&arena, (size_t)64 * 1024 * 1024);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mw_arena_free(&arena);
	return 0;
}

static void assert_str_or_null(const char *got, const char *want_s,
			       const char *what, const char *line)
{
	if (!want_s && !got)
		return;
	if (!want_s || !got || strcmp(got, want_s) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"\n  in: %s", what,
			 got ? got : "(null)", want_s ? want_s : "(null)",
			 line);
}

static mw_received parse(const char *line)
{
	mw_received r;
	mw_received_parse(&arena, line, strlen(line), &r);
	return r;
}

static void check(const want *w)
{
	mw_received r = parse(w->line);
	assert_str_or_null(r.from_host, w->host, "from_host", w->line);
	assert_str_or_null(r.from_helo, w->helo, "from_helo", w->line);
	assert_str_or_null(r.from_ip, w->ip, "from_ip", w->line);
	assert_str_or_null(r.by_host, w->by, "by_host", w->line);
	assert_str_or_null(r.protocol, w->proto, "protocol", w->line);
	assert_str_or_null(r.id, w->id, "id", w->line);
	assert_str_or_null(r.for_addr, w->for_addr, "for_addr", w->line);
	assert_str_or_null(r.authenticated_as, w->auth_as, "authenticated_as",
			   w->line);
	assert_str_or_null(r.date, w->date, "date", w->line);
	if (r.tls != w->tls)
		fail_msg("tls: got %d in: %s", r.tls, w->line);
	if (r.authenticated != w->auth)
		fail_msg("authenticated: got %d in: %s", r.authenticated,
			 w->line);
	if (w->date && !r.has_date)
		fail_msg("date not read in: %s", w->line);
}

#define CHECK_ALL(table)                                                       \
	for (size_t k_ = 0; k_ < sizeof(table) / sizeof(table)[0]; k_++)       \
	check(&(table)[k_])

/* Lines taken as they stand from the Sisimai corpus
 * (shared/corpus/sisimai/eml), one group per MTA family. */
static const want postfix_lines[] = {
    {"from 6bBckZSRc0zMvk9Z (unknown [192.0.2.2]) (Authenticated s"
     "ender: kijitora@example.co.jp) by smtp.example.co.jp (Postfi"
     "x) with ESMTPSA id XkB0QWwjfhzQcf0c for <sabatora@example.co"
     "m>; Thu,  2 Feb 2021 23:34:45 +0900 (JST)",
     .host = "unknown", .helo = "6bBckZSRc0zMvk9Z", .ip = "192.0.2.2",
     .by = "smtp.example.co.jp", .proto = "ESMTPSA", .id = "XkB0QWwjfhzQcf0c",
     .for_addr = "sabatora@example.com", .tls = true, .auth = true,
     .auth_as = "kijitora@example.co.jp",
     .date = "Thu,  2 Feb 2021 23:34:45 +0900 (JST)"},
    {"from 4j.example.jp (4j.example.jp [192.0.2.45]) by mbox.exam"
     "ple.jp (Postfix) with ESMTP id 4N1jYH4vf9z1wYtp for <sabator"
     "a@libsisimai.org>; Tue,  1 Nov 2022 17:17:07 +0900 (JST)",
     .host = "4j.example.jp", .helo = "4j.example.jp", .ip = "192.0.2.45",
     .by = "mbox.example.jp", .proto = "ESMTP", .id = "4N1jYH4vf9z1wYtp",
     .for_addr = "sabatora@libsisimai.org", .tls = false, .auth = false,
     .auth_as = NULL, .date = "Tue,  1 Nov 2022 17:17:07 +0900 (JST)"},
    {"from [127.0.0.1] (localhost [IPv6:::1]) by vagrant-centos65."
     "vagrantup.com (Postfix) with ESMTP id 9C81E2203D for <kijito"
     "ra@neko.example.jp>; Fri, 24 Oct 2014 10:46:18 +0000 (UTC)",
     .host = "localhost", .helo = "[127.0.0.1]", .ip = "::1",
     .by = "vagrant-centos65.vagrantup.com", .proto = "ESMTP",
     .id = "9C81E2203D", .for_addr = "kijitora@neko.example.jp", .tls = false,
     .auth = false, .auth_as = NULL,
     .date = "Fri, 24 Oct 2014 10:46:18 +0000 (UTC)"},
    {"from MTA1 (unknown [10.9.8.7]) by relay0.example.jp (Postfix"
     ") with ESMTP id Mgt61KRzl7zjTNcc for <kijitora@example.co.jp"
     ">; Thu, 29 Apr 2024 23:34:45 +0900 (JST)",
     .host = "unknown", .helo = "MTA1", .ip = "10.9.8.7",
     .by = "relay0.example.jp", .proto = "ESMTP", .id = "Mgt61KRzl7zjTNcc",
     .for_addr = "kijitora@example.co.jp", .tls = false, .auth = false,
     .auth_as = NULL, .date = "Thu, 29 Apr 2024 23:34:45 +0900 (JST)"},
    {"by mail.example.co.jp (Postfix, from userid 2022) id 0E1D4CD"
     "C0054; Thu, 29 Apr 2019 23:34:45 +0900 (JST)",
     .host = NULL, .helo = NULL, .ip = NULL, .by = "mail.example.co.jp",
     .proto = NULL, .id = "0E1D4CDC0054", .for_addr = NULL, .tls = false,
     .auth = false, .auth_as = NULL,
     .date = "Thu, 29 Apr 2019 23:34:45 +0900 (JST)"},
};

static const want sendmail_lines[] = {
    {"from 192.0.2.85.static.example.tr (192.0.2.85.static.example"
     ".tr [192.0.2.85] (may be forged)) by 4jo.example.jp (V8/cf) "
     "with ESMTP id t9TNXeju024024 for <libsisimai@example.jp>; Fr"
     "i, 30 Oct 2015 08:33:47 +0900",
     .host = "192.0.2.85.static.example.tr",
     .helo = "192.0.2.85.static.example.tr", .ip = "192.0.2.85",
     .by = "4jo.example.jp", .proto = "ESMTP", .id = "t9TNXeju024024",
     .for_addr = "libsisimai@example.jp", .tls = false, .auth = false,
     .auth_as = NULL, .date = "Fri, 30 Oct 2015 08:33:47 +0900"},
    {"from [10.22.22.222] (smtp-gateway.kyoto.ocn.ne.jp [192.0.2.2"
     "22]) (authenticated bits=0) by nijo.example.jp (V8/cf) with "
     "ESMTP id s1QB5ka0018055; Wed, 26 Feb 2014 06:05:47 -0500",
     .host = "smtp-gateway.kyoto.ocn.ne.jp", .helo = "[10.22.22.222]",
     .ip = "192.0.2.222", .by = "nijo.example.jp", .proto = "ESMTP",
     .id = "s1QB5ka0018055", .for_addr = NULL, .tls = false, .auth = true,
     .auth_as = NULL, .date = "Wed, 26 Feb 2014 06:05:47 -0500"},
    {"from relay0.example.jp (relay0.example.jp [192.0.2.25]) by r"
     "elay1.example.ne.jp (8.17.2/8.17.2) with ESMTPS id Ufhljuhn0"
     "61193 (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bi"
     "ts=256 verify=NO) for <kijitora@example.co.jp>; Thu, 29 Apr "
     "2024 23:34:45 +0900 (JST)",
     .host = "relay0.example.jp", .helo = "relay0.example.jp",
     .ip = "192.0.2.25", .by = "relay1.example.ne.jp", .proto = "ESMTPS",
     .id = "Ufhljuhn061193", .for_addr = "kijitora@example.co.jp", .tls = true,
     .auth = false, .auth_as = NULL,
     .date = "Thu, 29 Apr 2024 23:34:45 +0900 (JST)"},
    {"(from neko-nyaan-cat@localhost) by relay1.example.ne.jp (8.1"
     "7.2/8.17.2/Submit) id J05hAdU8018709 for pseudo-local-part-o"
     "f-microsoft@outlook.com; Thu, 29 Apr 2024 23:34:45 +0900 (JS"
     "T) (envelope-from neko@example.jp)",
     .host = NULL, .helo = NULL, .ip = NULL, .by = "relay1.example.ne.jp",
     .proto = NULL, .id = "J05hAdU8018709",
     .for_addr = "pseudo-local-part-of-microsoft@outlook.com", .tls = false,
     .auth = false, .auth_as = NULL,
     .date = "Thu, 29 Apr 2024 23:34:45 +0900 (JST)"},
};

static const want exim_lines[] = {
    {"from localhost ([127.0.0.1]) by marutamachi.example.org with"
     " esmtp (Exim 4.72) (envelope-from <shironeko@example.jp>) id"
     " 1X58pB-0004bW-2s; Thu, 10 Jul 2014 16:31:40 +0900",
     .host = "localhost", .helo = "localhost", .ip = "127.0.0.1",
     .by = "marutamachi.example.org", .proto = "ESMTP",
     .id = "1X58pB-0004bW-2s", .for_addr = NULL, .tls = false, .auth = false,
     .auth_as = NULL, .date = "Thu, 10 Jul 2014 16:31:40 +0900"},
    {"from [125.174.90.135] (port=51714 helo=[10.64.19.203]) by sm"
     "tp22.mail.ru with esmtpa (envelope-from <shironeko@example.j"
     "p>) id 1XsaRG-0002Yv-54 for kijitora@example.com; Sun, 23 No"
     "v 2014 19:55:06 +0300",
     .host = "[10.64.19.203]", .helo = "[10.64.19.203]", .ip = "125.174.90.135",
     .by = "smtp22.mail.ru", .proto = "ESMTPA", .id = "1XsaRG-0002Yv-54",
     .for_addr = "kijitora@example.com", .tls = false, .auth = true,
     .auth_as = NULL, .date = "Sun, 23 Nov 2014 19:55:06 +0300"},
    {"from mail0.bemta0.messagelabs.com ([192.0.2.2]:2400) by neko"
     "2.example.com with esmtps (TLSv1:DHE-RSA-AES256-SHA:256) (Ex"
     "im 4.80) id 2AEEEE-0000xR-2E for nekonyaan@example.com; Thu,"
     " 17 Jul 2013 23:34:45 -0500",
     .host = "mail0.bemta0.messagelabs.com",
     .helo = "mail0.bemta0.messagelabs.com", .ip = "192.0.2.2",
     .by = "neko2.example.com", .proto = "ESMTPS", .id = "2AEEEE-0000xR-2E",
     .for_addr = "nekonyaan@example.com", .tls = true, .auth = false,
     .auth_as = NULL, .date = "Thu, 17 Jul 2013 23:34:45 -0500"},
    {"from [192.0.2.222] ([192.0.2.222:222] helo=mta-2.example.org"
     ") by example.org (envelope-from <sironeko@example.org>) (ece"
     "lerity 3.6.5.1 r(Core:3.6.5.0)) with ESMTPS (cipher=AES256-G"
     "CM-SHA384 id 22/00-00000-EEEEEEEE; Thu, 29 Apr 2015 23:34:45"
     " +0000",
     .host = "mta-2.example.org", .helo = "mta-2.example.org",
     .ip = "192.0.2.222", .by = "example.org", .proto = "ESMTPS", .id = NULL,
     .for_addr = NULL, .tls = true, .auth = false, .auth_as = NULL,
     .date = "Thu, 29 Apr 2015 23:34:45 +0000"},
    {"from mail by neko22.example.net with local (Exim 4.88) id nn"
     "nnekochan-nyaaan-22 for sironeko@example.com; Thu, 29 Apr 20"
     "15 23:34:45 +0900",
     .host = "mail", .helo = "mail", .ip = NULL, .by = "neko22.example.net",
     .proto = "LOCAL", .id = "nnnnekochan-nyaaan-22",
     .for_addr = "sironeko@example.com", .tls = false, .auth = false,
     .auth_as = NULL, .date = "Thu, 29 Apr 2015 23:34:45 +0900"},
};

static const want qmail_lines[] = {
    {"from 182.22.90.19  (HELO nh601-vm10.bullet.mail.ssk.yahoo.co"
     ".jp) (182.22.90.19) by mta776.mail.djm.yahoo.co.jp with SMTP"
     "; Wed, 23 May 2018 17:44:41 +0900",
     .host = "nh601-vm10.bullet.mail.ssk.yahoo.co.jp",
     .helo = "nh601-vm10.bullet.mail.ssk.yahoo.co.jp", .ip = "182.22.90.19",
     .by = "mta776.mail.djm.yahoo.co.jp", .proto = "SMTP", .id = NULL,
     .for_addr = NULL, .tls = false, .auth = false, .auth_as = NULL,
     .date = "Wed, 23 May 2018 17:44:41 +0900"},
    {"(qmail 44319 invoked by uid 0); 24 Jun 2024 08:46:36 -0000", .host = NULL,
     .helo = NULL, .ip = NULL, .by = NULL, .proto = NULL, .id = NULL,
     .for_addr = NULL, .tls = false, .auth = false, .auth_as = NULL,
     .date = "24 Jun 2024 08:46:36 -0000"},
    {"from unknown (HELO ?192.0.2.1?) (192.0.2.111 with plain) by "
     "applesmtp.example.com with SMTP; 29 Apr 2015 23:34:45 -0000",
     .host = "unknown", .helo = "?192.0.2.1?", .ip = "192.0.2.111",
     .by = "applesmtp.example.com", .proto = "SMTP", .id = NULL,
     .for_addr = NULL, .tls = false, .auth = true, .auth_as = NULL,
     .date = "29 Apr 2015 23:34:45 -0000"},
    {"from 39.example.com (HELO m01.vzwpix.com) ([192.0.2.39]) by "
     "njbrspamp1.vtext.com with SMTP; 20 Jun 2013 10:29:52 +0000",
     .host = "39.example.com", .helo = "m01.vzwpix.com", .ip = "192.0.2.39",
     .by = "njbrspamp1.vtext.com", .proto = "SMTP", .id = NULL,
     .for_addr = NULL, .tls = false, .auth = false, .auth_as = NULL,
     .date = "20 Jun 2013 10:29:52 +0000"},
};

static const want microsoft_lines[] = {
    {"from APC01-PU1-obe.outbound.protection.outlook.com (104.47.1"
     "26.237) by BY2NAM01FT046.mail.protection.outlook.com (10.152"
     ".68.224) with Microsoft SMTP Server (version=TLS1_2, cipher="
     "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256) id 15.20.776.10 "
     "via Frontend Transport; Tue, 22 May 2018 17:34:17 +0000",
     .host = "APC01-PU1-obe.outbound.protection.outlook.com",
     .helo = "APC01-PU1-obe.outbound.protection.outlook.com",
     .ip = "104.47.126.237", .by = "BY2NAM01FT046.mail.protection.outlook.com",
     .proto = "MICROSOFT SMTP SERVER", .id = "15.20.776.10", .for_addr = NULL,
     .tls = true, .auth = false, .auth_as = NULL,
     .date = "Tue, 22 May 2018 17:34:17 +0000"},
    {"from HK2PR0101CA2025.apcprd01.prod.exchangelabs.com (2603:10"
     "96:201:1::37) by NEKONYAAN0022.apcprd01.prod.exchangelabs.co"
     "m (2a01:111:e400:a40f::24) with Microsoft SMTP Server (versi"
     "on=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256"
     ") id 15.20.13.10; Thu, 29 Apr 2017 23:34:45 +0000",
     .host = "HK2PR0101CA2025.apcprd01.prod.exchangelabs.com",
     .helo = "HK2PR0101CA2025.apcprd01.prod.exchangelabs.com",
     .ip = "2603:1096:201:1::37",
     .by = "NEKONYAAN0022.apcprd01.prod.exchangelabs.com",
     .proto = "MICROSOFT SMTP SERVER", .id = "15.20.13.10", .for_addr = NULL,
     .tls = true, .auth = false, .auth_as = NULL,
     .date = "Thu, 29 Apr 2017 23:34:45 +0000"},
    {"from SLXP216MB0381.KORP216.PROD.OUTLOOK.COM ([fe80::10d2:b42"
     "6:34cf:d5d0]) by SLXP216MB0381.KORP216.PROD.OUTLOOK.COM ([fe"
     "80::10d2:b426:34cf:d5d0%14]) with mapi id 15.20.0776.015; Mo"
     "n, 21 May 2018 05:07:53 +0000",
     .host = "SLXP216MB0381.KORP216.PROD.OUTLOOK.COM",
     .helo = "SLXP216MB0381.KORP216.PROD.OUTLOOK.COM",
     .ip = "fe80::10d2:b426:34cf:d5d0",
     .by = "SLXP216MB0381.KORP216.PROD.OUTLOOK.COM", .proto = "MAPI",
     .id = "15.20.0776.015", .for_addr = NULL, .tls = false, .auth = true,
     .auth_as = NULL, .date = "Mon, 21 May 2018 05:07:53 +0000"},
    {"from BLU436-SMTP66 ([65.55.116.72]) by BLU004-OMC3S6.outlook"
     ".example.com over TLS secured channel with Microsoft SMTPSVC"
     "(7.5.7601.22751); Fri, 21 Nov 2014 14:17:13 -0800",
     .host = "BLU436-SMTP66", .helo = "BLU436-SMTP66", .ip = "65.55.116.72",
     .by = "BLU004-OMC3S6.outlook.example.com", .proto = "MICROSOFT SMTPSVC",
     .id = NULL, .for_addr = NULL, .tls = true, .auth = false, .auth_as = NULL,
     .date = "Fri, 21 Nov 2014 14:17:13 -0800"},
    {"from mail2.bemta22.messagelabs.com (192.0.2.201) by NN-EEEEE"
     "E00000.example.jp (192.0.2.22) with Microsoft SMTP Server (T"
     "LS) id 14.2.222.2; Thu, 29 Apr 2017 23:34:45 +0900",
     .host = "mail2.bemta22.messagelabs.com",
     .helo = "mail2.bemta22.messagelabs.com", .ip = "192.0.2.201",
     .by = "NN-EEEEEE00000.example.jp", .proto = "MICROSOFT SMTP SERVER",
     .id = "14.2.222.2", .for_addr = NULL, .tls = true, .auth = false,
     .auth_as = NULL, .date = "Thu, 29 Apr 2017 23:34:45 +0900"},
};

static const want gmail_lines[] = {
    {"from [203.0.113.25] (p22-kyoto.kyoto.ocn.ne.jp. [192.0.2.225"
     "]) by smtp.gmail.com with ESMTPSA id y23sm23699905pfn.101.20"
     "20.03.02.23.50.43 for <libsisimai-2@googlegroups.com> (versi"
     "on=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128); "
     "Mon, 02 Mar 2020 23:50:44 -0800 (PST)",
     .host = "p22-kyoto.kyoto.ocn.ne.jp", .helo = "[203.0.113.25]",
     .ip = "192.0.2.225", .by = "smtp.gmail.com", .proto = "ESMTPSA",
     .id = "y23sm23699905pfn.101.2020.03.02.23.50.43",
     .for_addr = "libsisimai-2@googlegroups.com", .tls = true, .auth = true,
     .auth_as = NULL, .date = "Mon, 02 Mar 2020 23:50:44 -0800 (PST)"},
    {"from aneyakoji.example.jp (aneyakoji.example.jp. [192.0.2.22"
     "2]) by mx.google.com with ESMTP id s68si41768612pfi.277.2016"
     ".11.24.17.49.08 for <sironeko.jp@example.com>; Thu, 24 Nov 2"
     "016 17:49:08 -0800 (PST)",
     .host = "aneyakoji.example.jp", .helo = "aneyakoji.example.jp",
     .ip = "192.0.2.222", .by = "mx.google.com", .proto = "ESMTP",
     .id = "s68si41768612pfi.277.2016.11.24.17.49.08",
     .for_addr = "sironeko.jp@example.com", .tls = false, .auth = false,
     .auth_as = NULL, .date = "Thu, 24 Nov 2016 17:49:08 -0800 (PST)"},
    {"by 2002:a05:651c:1614:b0:293:27a9:ef34 with SMTP id f20-2002"
     "0a05651c161400b0029327a9ef34mr2834317ljq.0; Thu, 26 Feb 2023"
     " 18:30:56 -0800 (PST)",
     .host = NULL, .helo = NULL, .ip = NULL,
     .by = "2002:a05:651c:1614:b0:293:27a9:ef34", .proto = "SMTP",
     .id = "f20-20020a05651c161400b0029327a9ef34mr2834317ljq.0",
     .for_addr = NULL, .tls = false, .auth = false, .auth_as = NULL,
     .date = "Thu, 26 Feb 2023 18:30:56 -0800 (PST)"},
    {"by 10.200.3.30 with HTTP; Sun, 30 Apr 2017 04:22:23 -0700 (P"
     "DT)",
     .host = NULL, .helo = NULL, .ip = NULL, .by = "10.200.3.30",
     .proto = "HTTP", .id = NULL, .for_addr = NULL, .tls = false, .auth = false,
     .auth_as = NULL, .date = "Sun, 30 Apr 2017 04:22:23 -0700 (PDT)"},
};

static const want other_lines[] = {
    {"from localhost (mr21p30im-ztbu08053101.me.com [17.111.153.80"
     "]) by mr21p30im-asmtp002.me.com (Oracle Communications Messa"
     "ging Server 8.0.1.2.20170607 64bit (built Jun  7 2017)) with"
     " ESMTP id <0P920018BV2OIP30@mr21p30im-asmtp002.me.com> for o"
     "tsu-sakaba-hunter-neko-nyaan@ezweb.ne.jp; Mon, 21 May 2018 1"
     "2:08:50 +0000 (GMT)",
     .host = "mr21p30im-ztbu08053101.me.com", .helo = "localhost",
     .ip = "17.111.153.80", .by = "mr21p30im-asmtp002.me.com", .proto = "ESMTP",
     .id = "0P920018BV2OIP30@mr21p30im-asmtp002.me.com",
     .for_addr = "otsu-sakaba-hunter-neko-nyaan@ezweb.ne.jp", .tls = false,
     .auth = false, .auth_as = NULL,
     .date = "Mon, 21 May 2018 12:08:50 +0000 (GMT)"},
    {"from mail2.example.co.jp ([192.0.2.8]) by mx.example.co.jp ("
     "Lotus Domino Release 7.0.1) with ESMTP id 2012070800000000-0"
     "00000 ; Thu, 8 Jul 2012 00:00:00 +0900",
     .host = "mail2.example.co.jp", .helo = "mail2.example.co.jp",
     .ip = "192.0.2.8", .by = "mx.example.co.jp", .proto = "ESMTP",
     .id = "2012070800000000-000000", .for_addr = NULL, .tls = false,
     .auth = false, .auth_as = NULL, .date = "Thu, 8 Jul 2012 00:00:00 +0900"},
    {"from localhost (df.example.jp [local]) by df.example.jp (Ope"
     "nSMTPD) with ESMTPA id 50173677 for <systemfull@libsisimai.n"
     "et>; Mon, 17 Jun 2024 05:51:58 +0000 (UTC)",
     .host = "df.example.jp", .helo = "localhost", .ip = NULL,
     .by = "df.example.jp", .proto = "ESMTPA", .id = "50173677",
     .for_addr = "systemfull@libsisimai.net", .tls = false, .auth = true,
     .auth_as = NULL, .date = "Mon, 17 Jun 2024 05:51:58 +0000 (UTC)"},
    {"from mda by mogmxus001.server.lan id 0LvVA5-1Y3oYj34nD-010g2"
     "Y Sat, 29 Nov 2014 00:32:10 +0100",
     .host = "mda", .helo = "mda", .ip = NULL, .by = "mogmxus001.server.lan",
     .proto = NULL, .id = "0LvVA5-1Y3oYj34nD-010g2Y", .for_addr = NULL,
     .tls = false, .auth = false, .auth_as = NULL,
     .date = "Sat, 29 Nov 2014 00:32:10 +0100"},
    {"from Unknown [192.0.2.54] by mx4.example.com - SurfControl E"
     "-mail Filter (6.0.1);  Thu 29 Apr 2010 23:34:45 +0900",
     .host = "Unknown", .helo = "Unknown", .ip = "192.0.2.54",
     .by = "mx4.example.com", .proto = NULL, .id = NULL, .for_addr = NULL,
     .tls = false, .auth = false, .auth_as = NULL,
     .date = "Thu 29 Apr 2010 23:34:45 +0900"},
    {"from 203.0.113.22 ([203.0.113.22]) (SquirrelMail authenticat"
     "ed user sironeko@example.com) by example.com with HTTP; Thu,"
     " 29 Apr 2013 23:34:45 +0000",
     .host = "203.0.113.22", .helo = "203.0.113.22", .ip = "203.0.113.22",
     .by = "example.com", .proto = "HTTP", .id = NULL, .for_addr = NULL,
     .tls = false, .auth = true, .auth_as = "sironeko@example.com",
     .date = "Thu, 29 Apr 2013 23:34:45 +0000"},
};

/* Lines as the brief and the MTAs' documentation describe them. */
static const want documented_lines[] = {
    {"from mail.example.org ([192.0.2.7] helo=client.example.org) by "
     "mx.example.net with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384 "
     "(Exim 4.96) (envelope-from <a@example.org>) id 1abc-000DEF-2x "
     "for c@example.net; Thu, 29 Apr 2024 23:34:45 +0900",
     .host = "mail.example.org", .helo = "client.example.org",
     .ip = "192.0.2.7", .by = "mx.example.net", .proto = "ESMTPSA",
     .id = "1abc-000DEF-2x", .for_addr = "c@example.net", .tls = true,
     .auth = true, .auth_as = NULL, .date = "Thu, 29 Apr 2024 23:34:45 +0900"},
    {"from mail-sor-f41.google.com (mail-sor-f41.google.com. "
     "[209.85.220.41]) by mx.google.com with SMTPS id "
     "a1sor123.45.2024.04.29 for <x@example.com> (Google Transport "
     "Security); Mon, 29 Apr 2024 07:34:45 -0700 (PDT)",
     .host = "mail-sor-f41.google.com", .helo = "mail-sor-f41.google.com",
     .ip = "209.85.220.41", .by = "mx.google.com", .proto = "SMTPS",
     .id = "a1sor123.45.2024.04.29", .for_addr = "x@example.com", .tls = true,
     .auth = false, .auth_as = NULL,
     .date = "Mon, 29 Apr 2024 07:34:45 -0700 (PDT)"},
    {"from mx.example.org (mx.example.org [198.51.100.5]) (using TLSv1.3 "
     "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange "
     "X25519 server-signature RSA-PSS (2048 bits)) (No client "
     "certificate requested) by mail.example.jp (Postfix) with ESMTPS id "
     "4VSx1 for <u@example.jp>; Mon, 29 Apr 2024 23:34:45 +0900 (JST)",
     .host = "mx.example.org", .helo = "mx.example.org", .ip = "198.51.100.5",
     .by = "mail.example.jp", .proto = "ESMTPS", .id = "4VSx1",
     .for_addr = "u@example.jp", .tls = true, .auth = false, .auth_as = NULL,
     .date = "Mon, 29 Apr 2024 23:34:45 +0900 (JST)"},
    {"from [192.0.2.9] (unknown [203.0.113.9]) (Authenticated sender: "
     "alice@example.jp) by mail.example.jp (Postfix) with ESMTPSA id "
     "4VSx2; Mon, 29 Apr 2024 23:34:45 +0900 (JST)",
     .host = "unknown", .helo = "[192.0.2.9]", .ip = "203.0.113.9",
     .by = "mail.example.jp", .proto = "ESMTPSA", .id = "4VSx2", .tls = true,
     .auth = true, .auth_as = "alice@example.jp",
     .date = "Mon, 29 Apr 2024 23:34:45 +0900 (JST)"},
    {"from pc.example.jp (pc.example.jp [203.0.113.20]) (authenticated "
     "as bob@example.jp) by smtp.example.jp (8.17.1/8.17.1) with ESMTP "
     "id 43TEYjx1; Mon, 29 Apr 2024 23:34:45 +0900",
     .host = "pc.example.jp", .helo = "pc.example.jp", .ip = "203.0.113.20",
     .by = "smtp.example.jp", .proto = "ESMTP", .id = "43TEYjx1", .tls = false,
     .auth = true, .auth_as = "bob@example.jp",
     .date = "Mon, 29 Apr 2024 23:34:45 +0900"},
    {"from laptop (laptop.example.jp [203.0.113.30]) (AUTH: LOGIN "
     "carol@example.jp, TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384) by "
     "courier.example.jp with ESMTPSA; Mon, 29 Apr 2024 23:34:45 +0900",
     .host = "laptop.example.jp", .helo = "laptop", .ip = "203.0.113.30",
     .by = "courier.example.jp", .proto = "ESMTPSA", .tls = true, .auth = true,
     .auth_as = "carol@example.jp", .date = "Mon, 29 Apr 2024 23:34:45 +0900"},
    {"from host.example.org ([198.51.100.40]) by exim.example.jp with "
     "esmtpa (Exim 4.96) (auth=dave@example.jp) (envelope-from "
     "<dave@example.jp>) id 1rX-0001; Mon, 29 Apr 2024 23:34:45 +0900",
     .host = "host.example.org", .helo = "host.example.org",
     .ip = "198.51.100.40", .by = "exim.example.jp", .proto = "ESMTPA",
     .id = "1rX-0001", .auth = true, .auth_as = "dave@example.jp",
     .date = "Mon, 29 Apr 2024 23:34:45 +0900"},
    {"from host.example.org ([198.51.100.41]) by exim.example.jp with "
     "esmtpsa (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim "
     "4.96) authenticated_id: erin@example.jp id 1rX-0002; Mon, 29 Apr "
     "2024 23:34:45 +0900",
     .host = "host.example.org", .helo = "host.example.org",
     .ip = "198.51.100.41", .by = "exim.example.jp", .proto = "ESMTPSA",
     .id = "1rX-0002", .tls = true, .auth = true, .auth_as = "erin@example.jp",
     .date = "Mon, 29 Apr 2024 23:34:45 +0900"},
    {"from DM6PR11MB1234.namprd11.prod.outlook.com "
     "(2603:10b6:5:1a0::17) by BN8PR11MB5678.namprd11.prod.outlook.com "
     "(2603:10b6:408:8c::21) with Microsoft SMTP Server "
     "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id "
     "15.20.7472.44; Mon, 29 Apr 2024 14:34:45 +0000",
     .host = "DM6PR11MB1234.namprd11.prod.outlook.com",
     .helo = "DM6PR11MB1234.namprd11.prod.outlook.com",
     .ip = "2603:10b6:5:1a0::17",
     .by = "BN8PR11MB5678.namprd11.prod.outlook.com",
     .proto = "MICROSOFT SMTP SERVER", .id = "15.20.7472.44", .tls = true,
     .date = "Mon, 29 Apr 2024 14:34:45 +0000"},
    {"from unknown (HELO x.example.org) (192.0.2.1) by y.example.jp with "
     "SMTP; 29 Apr 2024 14:34:45 -0000",
     .host = "unknown", .helo = "x.example.org", .ip = "192.0.2.1",
     .by = "y.example.jp", .proto = "SMTP",
     .date = "29 Apr 2024 14:34:45 -0000"},
    {"from mail.example.net (mail.example.net [IPv6:2001:DB8:0:0::25]) by "
     "mx.example.jp (Postfix) with ESMTP id 1; Mon, 29 Apr 2024 "
     "23:34:45 +0900",
     .host = "mail.example.net", .helo = "mail.example.net",
     .ip = "2001:db8::25", .by = "mx.example.jp", .proto = "ESMTP", .id = "1",
     .date = "Mon, 29 Apr 2024 23:34:45 +0900"},
};

static void test_reads_postfix_lines(void **state)
{
	(void)state;
	CHECK_ALL(postfix_lines);
}

static void test_reads_sendmail_lines(void **state)
{
	(void)state;
	CHECK_ALL(sendmail_lines);
}

static void test_reads_exim_lines(void **state)
{
	(void)state;
	CHECK_ALL(exim_lines);
}

static void test_reads_qmail_lines(void **state)
{
	(void)state;
	CHECK_ALL(qmail_lines);
}

static void test_reads_microsoft_lines(void **state)
{
	(void)state;
	CHECK_ALL(microsoft_lines);
}

static void test_reads_gmail_lines(void **state)
{
	(void)state;
	CHECK_ALL(gmail_lines);
}

static void test_reads_domino_opensmtpd_and_odd_lines(void **state)
{
	(void)state;
	CHECK_ALL(other_lines);
}

static void test_reads_documented_forms_with_auth_and_tls(void **state)
{
	(void)state;
	CHECK_ALL(documented_lines);
}

static void test_date_is_parsed_to_unix_time(void **state)
{
	(void)state;
	mw_received r = parse("from a (a [192.0.2.1]) by b with ESMTP id 1; "
			      "Thu,  2 Feb 2021 23:34:45 +0900 (JST)");
	assert_true(r.has_date);
	assert_int_equal(r.date_unix, 1612276485);
	r = parse("(qmail 44319 invoked by uid 0); 24 Jun 2024 08:46:36 -0000");
	assert_int_equal(r.date_unix, 1719218796);
}

static void test_ipv4_mapped_address_is_written_as_ipv4(void **state)
{
	(void)state;
	mw_received r = parse("from a (a.example [IPv6:::ffff:192.0.2.33]) by "
			      "b with ESMTP; Mon, 29 Apr 2024 23:34:45 +0900");
	assert_string_equal(r.from_ip, "192.0.2.33");
	r = parse("from a ([::FFFF:198.51.100.1]:25) by b with ESMTP; Mon, 29 "
		  "Apr 2024 23:34:45 +0900");
	assert_string_equal(r.from_ip, "198.51.100.1");
}

/* Postfix writes "unknown" when the client has no reverse DNS: kept, not
 * replaced by the HELO name, which the client chose. */
static void test_unknown_rdns_stays_unknown(void **state)
{
	(void)state;
	mw_received r = parse("from mail.bank.example (unknown [203.0.113.66]) "
			      "by mx.example.jp (Postfix) with ESMTP id 1; "
			      "Mon, 29 Apr 2024 23:34:45 +0900");
	assert_string_equal(r.from_host, "unknown");
	assert_string_equal(r.from_helo, "mail.bank.example");
	assert_string_equal(r.from_ip, "203.0.113.66");
}

static void test_comment_ip_wins_over_claimed_ip_literal(void **state)
{
	(void)state;
	mw_received r = parse("from [198.51.100.1] (unknown [203.0.113.5]) by "
			      "mx.example.jp with ESMTP; Mon, 29 Apr 2024 "
			      "23:34:45 +0900");
	assert_string_equal(r.from_helo, "[198.51.100.1]");
	assert_string_equal(r.from_ip, "203.0.113.5");
}

static void test_missing_parts_are_null(void **state)
{
	(void)state;
	mw_received r = parse("by mx.example.jp");
	assert_string_equal(r.by_host, "mx.example.jp");
	assert_null(r.from_host);
	assert_null(r.from_helo);
	assert_null(r.from_ip);
	assert_null(r.protocol);
	assert_null(r.id);
	assert_null(r.for_addr);
	assert_null(r.date);
	assert_false(r.has_date);
	assert_false(r.tls);
	assert_false(r.authenticated);

	r = parse("from x.example (x.example [192.0.2.1]) by y; not a date");
	assert_string_equal(r.date, "not a date");
	assert_false(r.has_date);
	assert_string_equal(r.from_ip, "192.0.2.1");
}

static void test_garbage_and_empty_values_give_empty_results(void **state)
{
	(void)state;
	static const char *const junk[] = {
	    "",
	    ";",
	    ";;;",
	    "(",
	    ")",
	    "((((",
	    "from",
	    "from by with id for",
	    "<<<<",
	    "[[[[",
	    "\"",
	    "from (HELO) (",
	    "by ; with ;",
	    "from [999.1.1.1] (x [1.2.3]) by",
	    "\xff\xfe\x80 from \x80",
	};
	for (size_t k = 0; k < sizeof junk / sizeof *junk; k++) {
		mw_received r = parse(junk[k]);
		assert_null(r.from_ip);
		assert_false(r.has_date);
		assert_null(r.protocol);
	}
	mw_received r;
	mw_received_parse(&arena, NULL, 0, &r);
	assert_null(r.from_host);
}

static void test_unclosed_comment_does_not_hide_the_date(void **state)
{
	(void)state;
	mw_received r = parse("from a (b [192.0.2.1] by c with ESMTP; Mon, 29 "
			      "Apr 2024 23:34:45 +0900");
	assert_true(r.has_date);
	assert_string_equal(r.date, "Mon, 29 Apr 2024 23:34:45 +0900");
}

static void test_nul_bytes_are_white_space(void **state)
{
	(void)state;
	static const char v[] = "from a.example\0(a.example [192.0.2.1])\0by "
				"b.example with\0ESMTP id X1; Mon, 29 Apr 2024 "
				"23:34:45 +0900";
	mw_received r;
	mw_received_parse(&arena, v, sizeof v - 1, &r);
	assert_string_equal(r.from_helo, "a.example");
	assert_string_equal(r.from_ip, "192.0.2.1");
	assert_string_equal(r.by_host, "b.example");
	assert_string_equal(r.protocol, "ESMTP");
	assert_string_equal(r.id, "X1");
	assert_true(r.has_date);
}

static char *repeat(const char *head, char fill, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);
	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, fill, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static void test_100kb_value_finishes_with_bounded_fields(void **state)
{
	(void)state;
	size_t used = arena.used;
	char *v = repeat("from ", 'a', 100 * 1024,
			 " (x [192.0.2.1]) by b with ESMTP; Mon, 29 Apr 2024 "
			 "23:34:45 +0900");
	mw_received r = parse(v);
	assert_null(r.from_helo); /* longer than any host name */
	assert_string_equal(r.from_ip, "192.0.2.1");
	assert_string_equal(r.by_host, "b");
	assert_true(r.has_date);
	assert_true(arena.used - used < 8 * 1024);
	free(v);

	static const char fills[] = "(<[;\\ ";
	for (size_t k = 0; k < sizeof fills - 1; k++) {
		v = repeat("from a ", fills[k], 100 * 1024, " by b");
		r = parse(v);
		assert_null(r.from_ip);
		free(v);
	}
}

static void test_10mb_values_of_repeated_clauses_finish_fast(void **state)
{
	(void)state;
	static const char *const units[] = {
	    " Mon, 1",	 " from",
	    " (HELO x)", " [192.0.2.1]",
	    " with a",	 " (Authenticated sender: x)",
	    "(",	 "<",
	    ";",	 "\\(",
	};
	size_t bytes = (size_t)10 * 1024 * 1024;
	for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
		size_t u = strlen(units[k]), n = bytes / u;
		char *v = malloc(n * u + 1);
		assert_non_null(v);
		for (size_t j = 0; j < n; j++)
			memcpy(v + j * u, units[k], u);
		v[n * u] = '\0';
		clock_t t0 = clock();
		size_t used = arena.used;
		mw_received r;
		mw_received_parse(&arena, v, n * u, &r);
		assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 3.0);
		assert_true(arena.used - used < 64 * 1024);
		free(v);
	}
}

/* -- trace ------------------------------------------------------------- */

static mw_headers headers_of(const char *const *received, size_t n)
{
	mw_headers h;
	memset(&h, 0, sizeof h);
	h.fields = mw_arena_calloc(&arena, n + 2, sizeof *h.fields);
	assert_non_null(h.fields);
	h.fields[h.count++] = (mw_header_field){"Subject", "hello", 5};
	for (size_t k = 0; k < n; k++)
		h.fields[h.count++] =
		    (mw_header_field){k % 2 ? "received" : "Received",
				      received[k], strlen(received[k])};
	h.fields[h.count++] = (mw_header_field){"From", "a@example.org", 13};
	return h;
}

#define D "; Mon, 29 Apr 2024 23:34:45 +0900"

static void test_trace_origin_is_earliest_public_hop(void **state)
{
	(void)state;
	static const char *const rcv[] = {
	    "from localhost (localhost [127.0.0.1]) by mx.example.jp "
	    "(Postfix) with ESMTP id 3" D,
	    "from out.example.org (out.example.org [198.51.100.7]) by "
	    "mx.example.jp (Postfix) with ESMTPS id 2" D,
	    "from pc (pc.lan [192.168.1.20]) by out.example.org (Postfix) "
	    "with ESMTP id 1" D,
	};
	mw_headers h = headers_of(rcv, 3);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.nhops, 3);
	assert_string_equal(t.hops[0].id, "1"); /* origin first */
	assert_string_equal(t.hops[2].id, "3");
	assert_int_equal(t.origin, 1);
	assert_string_equal(t.origin_ip, "198.51.100.7");
	assert_null(t.origin_authenticated_as);
	assert_false(t.origin_authenticated);
	assert_false(t.truncated);
}

static void test_trace_falls_back_to_earliest_hop_with_any_ip(void **state)
{
	(void)state;
	static const char *const rcv[] = {
	    "from a (a [10.0.0.2]) by b with ESMTP id 2" D,
	    "from c (c [192.168.0.9]) by a with ESMTP id 1" D,
	    "by c (Postfix, from userid 1000) id 0" D,
	};
	mw_headers h = headers_of(rcv, 3);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.origin, 1);
	assert_string_equal(t.origin_ip, "192.168.0.9");
}

static void test_trace_without_ips_has_no_origin(void **state)
{
	(void)state;
	static const char *const rcv[] = {
	    "by c (Postfix, from userid 1000) id 0" D,
	};
	mw_headers h = headers_of(rcv, 1);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.origin, -1);
	assert_null(t.origin_ip);

	h = headers_of(rcv, 0);
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.nhops, 0);
	assert_int_equal(t.origin, -1);
}

static void test_trace_names_who_authenticated_at_submission(void **state)
{
	(void)state;
	static const char *const rcv[] = {
	    "from mail.example.jp (mail.example.jp [192.0.2.10]) by "
	    "mx.example.com (Postfix) with ESMTPS id 2" D,
	    "from [192.0.2.9] (unknown [203.0.113.9]) (Authenticated "
	    "sender: alice@example.jp) by mail.example.jp (Postfix) with "
	    "ESMTPSA id 1" D,
	};
	mw_headers h = headers_of(rcv, 2);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.origin, 0);
	assert_string_equal(t.origin_ip, "203.0.113.9");
	assert_true(t.origin_authenticated);
	assert_string_equal(t.origin_authenticated_as, "alice@example.jp");
}

static void test_trace_takes_auth_from_a_later_internal_hop(void **state)
{
	(void)state;
	/* webmail: the browser's address, then a loopback submission */
	static const char *const rcv[] = {
	    "from webmail.example.jp (localhost [127.0.0.1]) "
	    "(Authenticated sender: bob@example.jp) by mail.example.jp "
	    "(Postfix) with ESMTPA id 2" D,
	    "from [203.0.113.50] by webmail.example.jp with HTTP" D,
	};
	mw_headers h = headers_of(rcv, 2);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.origin, 0);
	assert_string_equal(t.origin_ip, "203.0.113.50");
	assert_string_equal(t.origin_authenticated_as, "bob@example.jp");
}

static void test_trace_ignores_auth_after_another_public_hop(void **state)
{
	(void)state;
	/* a relay logging in to its smarthost is not the sender */
	static const char *const rcv[] = {
	    "from relay.example.org (relay.example.org [198.51.100.3]) "
	    "(Authenticated sender: relay-account) by smarthost.example.net "
	    "(Postfix) with ESMTPSA id 2" D,
	    "from spam.example (unknown [203.0.113.66]) by "
	    "relay.example.org (Postfix) with ESMTP id 1" D,
	};
	mw_headers h = headers_of(rcv, 2);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_OK);
	assert_int_equal(t.origin, 0);
	assert_string_equal(t.origin_ip, "203.0.113.66");
	assert_false(t.origin_authenticated);
	assert_null(t.origin_authenticated_as);
}

static void test_trace_keeps_newest_hops_past_the_limit(void **state)
{
	(void)state;
	size_t n = MW_RECEIVED_MAX + 20;
	const char **rcv = calloc(n, sizeof *rcv);
	char(*buf)[96] = calloc(n, sizeof *buf);
	assert_non_null(rcv);
	assert_non_null(buf);
	for (size_t k = 0; k < n; k++) {
		snprintf(buf[k], sizeof buf[k],
			 "from h%zu (h%zu [198.51.100.%zu]) by x with SMTP id "
			 "%zu" D,
			 k, k, k % 250, k);
		rcv[k] = buf[k];
	}
	mw_headers h = headers_of(rcv, n);
	mw_trace t;
	assert_int_equal(mw_trace_build(&arena, &h, &t), MW_ETRUNCATED);
	assert_true(t.truncated);
	assert_int_equal(t.nhops, MW_RECEIVED_MAX);
	assert_string_equal(t.hops[MW_RECEIVED_MAX - 1].id, "0");
	assert_string_equal(t.hops[0].id, "99");
	free(rcv);
	free(buf);
}

/* Found by fuzzing: a from-clause with only a HELO comment and no host. */
static void test_from_clause_with_only_helo_comment(void **state)
{
	(void)state;
	mw_received r = parse("from(helo=x) by mx.example.jp; 1 Jan 2020 00:00 +0000");
	assert_string_equal(r.from_helo, "x");
	assert_string_equal(r.by_host, "mx.example.jp");
}

/* Found by fuzzing: "for < <>" left a bracket as the for-address. */
static void test_for_clause_of_brackets_names_nobody(void **state)
{
	(void)state;
	mw_received r = parse("from a by b for < <>; 1 Jan 2020 00:00 +0000");
	assert_null(r.for_addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_postfix_lines),
	    cmocka_unit_test(test_reads_sendmail_lines),
	    cmocka_unit_test(test_reads_exim_lines),
	    cmocka_unit_test(test_reads_qmail_lines),
	    cmocka_unit_test(test_reads_microsoft_lines),
	    cmocka_unit_test(test_reads_gmail_lines),
	    cmocka_unit_test(test_reads_domino_opensmtpd_and_odd_lines),
	    cmocka_unit_test(test_reads_documented_forms_with_auth_and_tls),
	    cmocka_unit_test(test_date_is_parsed_to_unix_time),
	    cmocka_unit_test(test_ipv4_mapped_address_is_written_as_ipv4),
	    cmocka_unit_test(test_unknown_rdns_stays_unknown),
	    cmocka_unit_test(test_comment_ip_wins_over_claimed_ip_literal),
	    cmocka_unit_test(test_missing_parts_are_null),
	    cmocka_unit_test(test_garbage_and_empty_values_give_empty_results),
	    cmocka_unit_test(test_unclosed_comment_does_not_hide_the_date),
	    cmocka_unit_test(test_nul_bytes_are_white_space),
	    cmocka_unit_test(test_100kb_value_finishes_with_bounded_fields),
	    cmocka_unit_test(test_10mb_values_of_repeated_clauses_finish_fast),
	    cmocka_unit_test(test_trace_origin_is_earliest_public_hop),
	    cmocka_unit_test(test_trace_falls_back_to_earliest_hop_with_any_ip),
	    cmocka_unit_test(test_trace_without_ips_has_no_origin),
	    cmocka_unit_test(test_trace_names_who_authenticated_at_submission),
	    cmocka_unit_test(test_trace_takes_auth_from_a_later_internal_hop),
	    cmocka_unit_test(test_trace_ignores_auth_after_another_public_hop),
	    cmocka_unit_test(test_trace_keeps_newest_hops_past_the_limit),
	    cmocka_unit_test(test_from_clause_with_only_helo_comment),
	    cmocka_unit_test(test_for_clause_of_brackets_names_nobody),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
