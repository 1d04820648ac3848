/*
 * verb_bounce.c - `mailwarden bounce`: is it a bounce, who failed, why, and
 * which message of ours (or not ours) it was about.
 *
 * The same analysis the milter runs on an incoming bounce before deciding
 * whether it is backscatter, offered to admins and to scripts.
 */
#include <string.h>

#include "cli/cli.h"
#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/bounce.h"

static const char bounce_help[] =
    "NAME\n"
    "    mailwarden bounce - analyse bounces, auto-replies and abuse reports\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden bounce [--json] FILE...|-\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads each message (files, or standard input for -) and says\n"
    "    whether it is a bounce and of which kind:\n"
    "      dsn        a delivery status notification (RFC 3464), or a\n"
    "                 machine-made notice with the same facts\n"
    "      ndr        a non-delivery report in free text (qmail \"failure\n"
    "                 notice\", Sendmail, Exchange, Office 365, Gmail,\n"
    "                 Yahoo, Japanese carriers ...)\n"
    "      autoreply  an automatic reply (RFC 3834, vacation)\n"
    "      feedback   an abuse or opt-out report (ARF, RFC 5965)\n"
    "      none       not a bounce\n"
    "    For a bounce it lists the recipients that failed, each with its\n"
    "    enhanced status code, SMTP reply code, action and diagnostic; the\n"
    "    server that reported it; and the identity of the original\n"
    "    message: Message-ID, From, To, Subject, Date, Return-Path and the\n"
    "    hosts in its Received: fields. That identity is what tells a real\n"
    "    bounce of your own mail from backscatter: mail you never sent.\n"
    "    Text is decoded to UTF-8 from any charset (ISO-2022-JP,\n"
    "    Shift_JIS, EUC-JP ...).\n"
    "\n"
    "OPTIONS\n"
    "    --json    print one JSON object per message (JSON Lines) with the\n"
    "              fields file, is_bounce, kind, recipients (address,\n"
    "              status, reply_code, action, diagnostic), original\n"
    "              (message_id without <>, from, to, subject, date,\n"
    "              return_path, received: hops as in `trace --json`),\n"
    "              reporting_mta and truncated; a missing value is null\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "LIMITS\n"
    "    Each message is read up to 64 MiB; MIME nesting, parts, header\n"
    "    fields and recipients are bounded. Past a limit the answer is\n"
    "    drawn from what was read, with \"truncated\": true.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  at least one message is a bounce\n"
    "    1  none of the messages is a bounce\n"
    "    2  bad usage, or a message could not be read (the others are\n"
    "       still analysed)\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden bounce 'Returned mail.eml'\n"
    "    mailwarden bounce --json /var/mail/bounces/*.eml | jq "
    ".original.message_id\n";

static json_t *original_json(const mw_bounce_original *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "message_id", cli_json_str(o->message_id));
	json_object_set_new(j, "from", cli_json_str(o->from));
	json_object_set_new(j, "to", cli_json_str(o->to));
	json_object_set_new(j, "subject", cli_json_str(o->subject));
	json_object_set_new(j, "date", cli_json_str(o->date));
	json_object_set_new(j, "return_path", cli_json_str(o->return_path));
	json_object_set_new(j, "received",
			    cli_json_hops(o->received, o->nreceived));
	return j;
}

static json_t *recipients_json(const mw_bounce *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < b->nrecipients; i++) {
		const mw_bounce_rcpt *r = &b->recipients[i];
		json_t *o = json_object();
		json_object_set_new(o, "address", cli_json_str(r->address));
		json_object_set_new(o, "status", cli_json_str(r->status));
		json_object_set_new(o, "reply_code",
				    cli_json_str(r->reply_code));
		json_object_set_new(o, "action", cli_json_str(r->action));
		json_object_set_new(o, "diagnostic",
				    cli_json_str(r->diagnostic));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *bounce_json(const char *file, const mw_bounce *b, bool truncated)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", cli_json_str(file));
	json_object_set_new(o, "is_bounce", json_boolean(b->is_bounce));
	json_object_set_new(o, "kind",
			    json_string(mw_bounce_kind_name(b->kind)));
	json_object_set_new(o, "recipients", recipients_json(b));
	json_object_set_new(o, "original", original_json(&b->original));
	json_object_set_new(o, "reporting_mta", cli_json_str(b->reporting_mta));
	json_object_set_new(o, "truncated", json_boolean(truncated));
	return o;
}

static void bounce_print(FILE *out, const char *file, const mw_bounce *b,
			 bool truncated)
{
	const char *cut = truncated ? " (truncated)" : "";
	if (!b->is_bounce) {
		fprintf(out, "%s: not a bounce%s\n", file, cut);
		return;
	}
	fprintf(out, "%s: %s%s\n", file, mw_bounce_kind_name(b->kind), cut);
	cli_print_field(out, "  ", "reported by", b->reporting_mta);
	for (size_t i = 0; i < b->nrecipients; i++) {
		const mw_bounce_rcpt *r = &b->recipients[i];
		fprintf(out, "  recipient    %s", r->address);
		const char *facts[] = {r->status, r->reply_code, r->action};
		const char *sep = "  [";
		for (size_t k = 0; k < 3; k++) {
			if (!facts[k])
				continue;
			fprintf(out, "%s%s", sep, facts[k]);
			sep = " ";
		}
		if (*sep == ' ' && sep[1] == '\0')
			fputc(']', out);
		fputc('\n', out);
		cli_print_field(out, "    ", "diagnostic", r->diagnostic);
	}
	const mw_bounce_original *o = &b->original;
	if (o->message_id || o->from || o->subject || o->nreceived) {
		fputs("  original message:\n", out);
		cli_print_field(out, "    ", "Message-ID", o->message_id);
		cli_print_field(out, "    ", "From", o->from);
		cli_print_field(out, "    ", "To", o->to);
		cli_print_field(out, "    ", "Subject", o->subject);
		cli_print_field(out, "    ", "Date", o->date);
		cli_print_field(out, "    ", "Return-Path", o->return_path);
		const char *label = "Received";
		for (size_t i = 0; i < o->nreceived; i++) {
			const mw_received *h = &o->received[i];
			/* qmail's "(qmail 123 invoked by uid 0)" names no host.
			 */
			if (!h->from_host && !h->from_ip && !h->by_host)
				continue;
			fprintf(out, "    %-12s %s [%s] -> %s\n", label,
				h->from_host ? h->from_host : "-",
				h->from_ip ? h->from_ip : "-",
				h->by_host ? h->by_host : "-");
			label = "";
		}
	} else {
		fputs("  original message: not included\n", out);
	}
}

/* Analyse one input; returns -1 unreadable, 0 not a bounce, 1 a bounce. */
static int bounce_one(const char *path, bool json, mw_buf *msg)
{
	bool truncated;
	if (!cli_read_message("bounce", path, msg, &truncated))
		return -1;
	mw_arena arena;
	mw_arena_init(&arena, MW_PARSE_MEMORY_MAX);
	mw_bounce b;
	memset(&b, 0, sizeof b);
	int answer;
	if (mw_bounce_analyse(&arena, msg->data ? msg->data : "", msg->len,
			      &b) < 0) {
		cli_error("bounce", "%s: out of memory", path);
		answer = -1;
	} else {
		truncated = truncated || b.truncated;
		if (json)
			cli_json_print(stdout,
				       bounce_json(path, &b, truncated));
		else
			bounce_print(stdout, path, &b, truncated);
		answer = b.is_bounce ? 1 : 0;
	}
	mw_arena_free(&arena);
	return answer;
}

static int bounce_main(int argc, char **argv)
{
	bool json;
	int first =
	    cli_json_option("bounce", "mailwarden bounce [--json] FILE...|-",
			    argc, argv, &json);
	if (first < 0)
		return CLI_USAGE;
	if (first >= argc) {
		cli_error("bounce", "expects messages: FILE... or - for stdin");
		return CLI_USAGE;
	}
	mw_buf msg;
	mw_buf_init(&msg, MW_MESSAGE_MAX);
	bool any_bounce = false, any_unreadable = false;
	for (int i = first; i < argc; i++) {
		int answer = bounce_one(argv[i], json, &msg);
		any_bounce |= answer == 1;
		any_unreadable |= answer < 0;
	}
	mw_buf_free(&msg);
	if (any_unreadable)
		return CLI_USAGE;
	return any_bounce ? CLI_OK : CLI_NO;
}

const cli_verb cli_verb_bounce = {
    .name = "bounce",
    .run = bounce_main,
    .summary = "analyse bounces: who failed, why, the original message",
    .help = bounce_help,
};
