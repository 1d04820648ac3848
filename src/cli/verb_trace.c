/*
 * verb_trace.c - `mailwarden trace`: the path a message took to reach us.
 *
 * The Received: fields, read origin first, with the hop where the message
 * entered the mail system and, if the server there recorded it, who had
 * authenticated to send it. This is the support desk's tool of seed 003: a
 * forged Received: below the first trustworthy hop can only be judged by a
 * person, so the table shows every hop rather than a verdict.
 */
#include <string.h>

#include "cli/cli.h"
#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "mail/received.h"

static const char trace_help[] =
    "NAME\n"
    "    mailwarden trace - show the delivery path of a message\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden trace [--json] FILE|-\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads one message (a file, or standard input for -) and lists the\n"
    "    hops its Received: header fields record, origin first: the host\n"
    "    that handed the message over (its name, the HELO it gave, its IP\n"
    "    address), the server that took it, the protocol (ESMTPSA means\n"
    "    authenticated and encrypted), the queue id, the recipient, the\n"
    "    date, whether TLS was used, and the identity that authenticated\n"
    "    where the server recorded one.\n"
    "\n"
    "    The origin is the earliest hop whose client address is not a\n"
    "    private, loopback or link-local one. Received: fields below the\n"
    "    first server you trust can be forged by the sender: read the\n"
    "    origin as the best reading of the headers, not as proof.\n"
    "\n"
    "OPTIONS\n"
    "    --json    print one JSON object (JSON Lines) with the fields file,\n"
    "              hops (origin first: from_host, from_helo, from_ip,\n"
    "              by_host, protocol, id, for, date, date_utc, tls,\n"
    "              authenticated_as), origin_ip, origin_authenticated_as\n"
    "              and truncated\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "LIMITS\n"
    "    Messages are read up to 64 MiB and at most 100 Received: fields\n"
    "    are followed; past a limit the output is what was read, with\n"
    "    \"truncated\": true.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the message was read (even with no Received: field)\n"
    "    2  bad usage, or the message could not be read\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden trace spam.eml\n"
    "    mailwarden trace --json - < spam.eml | jq .origin_ip\n";

static json_t *trace_json(const char *file, const mw_trace *t, bool truncated)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", cli_json_str(file));
	json_object_set_new(o, "hops", cli_json_hops(t->hops, t->nhops));
	json_object_set_new(o, "origin_ip", cli_json_str(t->origin_ip));
	json_object_set_new(o, "origin_authenticated_as",
			    cli_json_str(t->origin_authenticated_as));
	json_object_set_new(o, "truncated", json_boolean(truncated));
	return o;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void trace_print(FILE *out, const char *file, const mw_trace *t,
			bool truncated)
{
	fprintf(out, "%s: %zu hop%s%s\n", file, t->nhops,
		t->nhops == 1 ? "" : "s", truncated ? " (truncated)" : "");
	for (size_t i = 0; i < t->nhops; i++) {
		const mw_received *h = &t->hops[i];
		fprintf(out, "%s%2zu  from %s",
			(long)i == t->origin ? "*" : " ", i + 1,
			or_dash(h->from_host));
		if (h->from_helo &&
		    (!h->from_host || strcmp(h->from_helo, h->from_host)))
			fprintf(out, " (helo %s)", h->from_helo);
		fprintf(out, " [%s]\n", or_dash(h->from_ip));
		fprintf(out, "      by %s with %s%s", or_dash(h->by_host),
			or_dash(h->protocol), h->tls ? ", TLS" : "");
		if (h->id)
			fprintf(out, ", id %s", h->id);
		fputc('\n', out);
		if (h->authenticated_as)
			fprintf(out, "      authenticated as %s\n",
				h->authenticated_as);
		if (h->date)
			fprintf(out, "      %s\n", h->date);
	}
	fprintf(out, "origin: %s", or_dash(t->origin_ip));
	if (t->origin_authenticated_as)
		fprintf(out, ", authenticated as %s",
			t->origin_authenticated_as);
	fputs("\n", out);
}

static int trace_main(int argc, char **argv)
{
	bool json;
	int first = cli_json_option("trace", "mailwarden trace [--json] FILE|-",
				    argc, argv, &json);
	if (first < 0)
		return CLI_USAGE;
	if (argc - first != 1) {
		cli_error("trace", "expects one message: FILE or - for stdin");
		return CLI_USAGE;
	}
	const char *path = argv[first];
	mw_buf msg;
	mw_buf_init(&msg, MW_MESSAGE_MAX);
	bool truncated;
	if (!cli_read_message("trace", path, &msg, &truncated)) {
		mw_buf_free(&msg);
		return CLI_USAGE;
	}
	mw_arena arena;
	mw_arena_init(&arena, MW_PARSE_MEMORY_MAX);
	mw_headers h;
	mw_trace t;
	memset(&t, 0, sizeof t);
	t.origin = -1;
	int rc = CLI_OK;
	if (mw_headers_parse(&arena, msg.data ? msg.data : "", msg.len, &h) <
		0 ||
	    mw_trace_build(&arena, &h, &t) < 0) {
		cli_error("trace", "%s: out of memory", path);
		rc = CLI_USAGE;
	} else {
		truncated = truncated || h.truncated || t.truncated;
		if (json)
			cli_json_print(stdout, trace_json(path, &t, truncated));
		else
			trace_print(stdout, path, &t, truncated);
	}
	mw_arena_free(&arena);
	mw_buf_free(&msg);
	return rc;
}

const cli_verb cli_verb_trace = {
    .name = "trace",
    .run = trace_main,
    .summary = "show the delivery path of a message (Received: hops)",
    .help = trace_help,
};
