/*
 * noop_milter.c - the benchmark's baseline: a mail filter on Sendmail's
 * libmilter that looks at everything mailwarden looks at and changes
 * nothing. Bench only (DESIGN.md §5): mailwarden itself speaks the protocol
 * on its own event loop; this program is what it is measured against.
 *
 * It negotiates the same protocol steps and actions as mailwarden
 * (src/milter/protocol.h, MW_MILTER_OUR_STEPS and MW_MILTER_OUR_ACTIONS),
 * so Postfix does the same work for both: CONNECT, MAIL, RCPT, every
 * HEADER, every BODY chunk and end of message are sent; HELO, DATA,
 * UNKNOWN and EOH are not; CONNECT, HEADER and BODY are sent without
 * waiting for a reply. It never asks to skip the rest of a body and never
 * modifies a message: every answer is CONTINUE (or no reply where none is
 * expected). With -P full it instead asks for every step and answers each
 * one, the way a filter that registers every callback does by default.
 *
 * Usage: noop_milter -s inet:PORT@127.0.0.1 [-P same|full] [-T SECONDS] [-v]
 *   -v  one line on stderr per connection ({daemon_name}, client address)
 *       and per message (queue id, sender, recipient count).
 * On SIGTERM or SIGINT it stops (libmilter's own handling) and prints
 * "noop_milter: connections=N messages=N aborts=N" on stderr, so the
 * benchmark can check that every message went through the filter.
 *
 * Build: cc -O2 noop_milter.c -lmilter -lpthread
 */
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * mailwarden's negotiation, mirrored by value: the bench must not depend on
 * the daemon's headers, and a change there should be a conscious change
 * here (the benchmark prints both values).
 */
#define SAME_STEPS                                                             \
	(SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NOEOH |         \
	 SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_BODY)
#define SAME_ACTIONS                                                           \
	(SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT |       \
	 SMFIF_QUARANTINE | SMFIF_CHGFROM)

/* Per-session state: only what -v prints. */
struct session {
	unsigned rcpts;
	char from[256];
};

static int verbose;
static int full_profile;
static atomic_ulong n_connections;
static atomic_ulong n_messages;
static atomic_ulong n_aborts;

static sfsistat reply_or_none(unsigned long nr_flag)
{
	/* With the mailwarden profile, Postfix waits for no reply here. */
	if (!full_profile && (SAME_STEPS & nr_flag) != 0)
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

static const char *macro_or_dash(SMFICTX *ctx, char *name)
{
	const char *v = smfi_getsymval(ctx, name);

	return v != NULL ? v : "-";
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long mta_actions,
			     unsigned long mta_steps, unsigned long f2,
			     unsigned long f3, unsigned long *actions,
			     unsigned long *steps, unsigned long *pf2,
			     unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf2 = 0;
	*pf3 = 0;
	*actions = SAME_ACTIONS & mta_actions;
	/* Full profile: no step left out, every step answered. */
	*steps = full_profile ? 0 : (SAME_STEPS & mta_steps);
	return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	struct session *s = calloc(1, sizeof(*s));

	(void)addr;
	atomic_fetch_add(&n_connections, 1);
	/* Without memory only -v loses its details; the mail still passes. */
	if (s != NULL)
		smfi_setpriv(ctx, s);
	if (verbose)
		fprintf(stderr,
			"noop_milter: connect daemon_name=%s client=%s\n",
			macro_or_dash(ctx, "{daemon_name}"),
			host != NULL ? host : "-");
	return reply_or_none(SMFIP_NR_CONN);
}

static sfsistat on_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	return reply_or_none(SMFIP_NR_HELO);
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL) {
		s->rcpts = 0;
		snprintf(s->from, sizeof(s->from), "%s",
			 argv != NULL && argv[0] != NULL ? argv[0] : "");
	}
	return reply_or_none(SMFIP_NR_MAIL);
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);

	(void)argv;
	if (s != NULL)
		s->rcpts++;
	return reply_or_none(SMFIP_NR_RCPT);
}

static sfsistat on_data(SMFICTX *ctx)
{
	(void)ctx;
	return reply_or_none(SMFIP_NR_DATA);
}

static sfsistat on_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return reply_or_none(SMFIP_NR_UNKN);
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return reply_or_none(SMFIP_NR_HDR);
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return reply_or_none(SMFIP_NR_EOH);
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return reply_or_none(SMFIP_NR_BODY);
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	atomic_fetch_add(&n_messages, 1);
	if (verbose && s != NULL)
		fprintf(stderr,
			"noop_milter: eom queue_id=%s from=%s rcpts=%u\n",
			macro_or_dash(ctx, "i"), s->from, s->rcpts);
	return SMFIS_CONTINUE;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	(void)ctx;
	atomic_fetch_add(&n_aborts, 1);
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static int usage(void)
{
	fprintf(stderr, "usage: noop_milter -s inet:PORT@127.0.0.1 "
			"[-P same|full] [-T SECONDS] [-v]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char name[] = "noop_milter";
	struct smfiDesc desc = {
	    .xxfi_name = name,
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SAME_ACTIONS,
	    .xxfi_connect = on_connect,
	    .xxfi_helo = on_helo,
	    .xxfi_envfrom = on_envfrom,
	    .xxfi_envrcpt = on_envrcpt,
	    .xxfi_header = on_header,
	    .xxfi_eoh = on_eoh,
	    .xxfi_body = on_body,
	    .xxfi_eom = on_eom,
	    .xxfi_abort = on_abort,
	    .xxfi_close = on_close,
	    .xxfi_unknown = on_unknown,
	    .xxfi_data = on_data,
	    .xxfi_negotiate = on_negotiate,
	};
	char *sock = NULL;
	int timeout = 7210; /* libmilter's default */
	int c;
	int rc;

	while ((c = getopt(argc, argv, "s:P:T:v")) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "full") == 0)
				full_profile = 1;
			else if (strcmp(optarg, "same") != 0)
				return usage();
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			return usage();
		}
	}
	if (sock == NULL || optind != argc || timeout <= 0)
		return usage();
	if (smfi_setconn(sock) == MI_FAILURE ||
	    smfi_settimeout(timeout) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE) {
		fprintf(stderr, "noop_milter: cannot set up %s\n", sock);
		return 1;
	}
	fprintf(stderr,
		"noop_milter: listening on %s, profile %s "
		"(steps 0x%lx, actions 0x%lx)\n",
		sock, full_profile ? "full" : "same",
		full_profile ? 0UL : (unsigned long)SAME_STEPS,
		(unsigned long)SAME_ACTIONS);
	rc = smfi_main();
	fprintf(stderr,
		"noop_milter: connections=%lu messages=%lu aborts=%lu\n",
		atomic_load(&n_connections), atomic_load(&n_messages),
		atomic_load(&n_aborts));
	return rc == MI_SUCCESS ? 0 : 1;
}
