/*
 * verb_address.c - `mailwarden address`: retire an address, make it
 * receive-only, restore it, list the ones that are not active.
 *
 * What seed 000's provider could not do: stop all mail to an old alias
 * without deleting the account behind it. The state lives in the store
 * (shield/addr_state.h), which the running daemon reads at every RCPT, so
 * a change takes effect with the next message, without a reload.
 */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/date.h"
#include "lib/limits.h"
#include "mail/address.h"
#include "shield/addr_state.h"
#include "store/store.h"

/* How long the verb waits for its write to be committed. */
#define ADDRESS_FLUSH_MS 5000

static const char address_help[] =
    "NAME\n"
    "    mailwarden address - retire an address, make it receive-only,\n"
    "    restore it, or list them\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden address retire ADDRESS [-c FILE]\n"
    "    mailwarden address receive-only ADDRESS [-c FILE]\n"
    "    mailwarden address restore ADDRESS [-c FILE]\n"
    "    mailwarden address list [-c FILE] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Changes how the backscatter shield treats one address of a local\n"
    "    domain, without touching the account or mailbox behind it. The\n"
    "    state is kept in mailwarden's store (state_dir of the\n"
    "    configuration), which the running daemon reads for every\n"
    "    message: a change applies from the next message on, with no\n"
    "    reload.\n"
    "\n"
    "    retire        All mail to ADDRESS is refused during the SMTP\n"
    "                  dialogue with 550 5.1.1 \"this address is retired\",\n"
    "                  whoever sends it, and nothing is sent from it.\n"
    "                  For an old alias that a spammer forges: the\n"
    "                  bounces of his spam stop at once.\n"
    "    receive-only  ADDRESS receives mail but never sends: outbound\n"
    "                  mail from it is refused (550 5.7.1), and, in\n"
    "                  batv_mode enforce, every bounce to it is refused\n"
    "                  as backscatter, since it cannot have sent the\n"
    "                  original.\n"
    "    restore       ADDRESS is active again.\n"
    "    list          Every address that is retired or receive-only,\n"
    "                  with its state and when it was set.\n"
    "\n"
    "    ADDRESS is local@domain, with or without <>; case does not\n"
    "    matter. Give it without a BATV tag. A domain outside\n"
    "    local_domains is accepted with a warning: the shield only acts\n"
    "    on local addresses.\n"
    "\n"
    "OPTIONS\n"
    "    -c FILE, --config FILE\n"
    "              the configuration file (default\n"
    "              /etc/mailwarden/mailwarden.conf)\n"
    "    --json    list: one JSON object per address (JSON Lines) with\n"
    "              address, state and since (ISO 8601, UTC)\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "OUTPUT\n"
    "    retire, receive-only, restore: \"ADDRESS: STATE (was STATE)\".\n"
    "    list: \"ADDRESS  STATE  SINCE\" lines, or nothing when every\n"
    "    address is active.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  done (or listed)\n"
    "    2  bad usage, a bad address, a configuration with errors, or a\n"
    "       store that cannot be opened or written\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden address retire old-alias@example.jp\n"
    "    mailwarden address receive-only info@example.jp -c test.conf\n"
    "    mailwarden address list --json | jq -r .address\n";

static const char address_usage[] =
    "usage: mailwarden address retire|receive-only|restore ADDRESS "
    "[-c FILE] | list [-c FILE] [--json]";

typedef struct address_args {
	const char *action;
	const char *operand;
	const char *config;
	bool json;
} address_args;

static bool parse_args(int argc, char **argv, address_args *a)
{
	memset(a, 0, sizeof *a);
	a->config = MW_CONFIG_DEFAULT_PATH;
	bool options_done = false;
	size_t operands = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!options_done && strcmp(s, "--") == 0) {
			options_done = true;
		} else if (!options_done && (strcmp(s, "-c") == 0 ||
					     strcmp(s, "--config") == 0)) {
			if (++i >= argc)
				return false;
			a->config = argv[i];
		} else if (!options_done && strncmp(s, "--config=", 9) == 0) {
			a->config = s + 9;
		} else if (!options_done && strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (!options_done && s[0] == '-' && s[1]) {
			return false;
		} else if (operands == 0) {
			a->action = s;
			operands++;
		} else if (operands == 1) {
			a->operand = s;
			operands++;
		} else {
			return false;
		}
	}
	if (!a->action)
		return false;
	if (strcmp(a->action, "list") == 0)
		return a->operand == NULL;
	if (strcmp(a->action, "retire") != 0 &&
	    strcmp(a->action, "receive-only") != 0 &&
	    strcmp(a->action, "restore") != 0)
		return false;
	return a->operand != NULL && !a->json;
}

/* The bare address, lower-cased as the store keeps it; NULL after a
 * message when it is not one. */
static const char *clean_address(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);
	if (n >= 2 && in[0] == '<' && in[n - 1] == '>') {
		in++;
		n -= 2;
	}
	if (n == 0 || n >= outsz || n > MW_ADDRESS_MAX ||
	    !mw_address_is_valid(in, n)) {
		cli_error("address", "'%.*s' is not an address (local@domain)",
			  (int)(n > 200 ? 200 : n), in);
		return NULL;
	}
	mw_batv_tag tag;
	if (mw_batv_parse(mw_str_make(in, n), &tag) != MW_BATV_UNTAGGED) {
		cli_error("address",
			  "'%.*s' carries a BATV tag: give the "
			  "address without it",
			  (int)n, in);
		return NULL;
	}
	memcpy(out, in, n);
	out[n] = '\0';
	mw_ascii_lower(out, n);
	return out;
}

/* addr: as clean_address() left it. */
static int change_state(const mw_config *cfg, mw_store *st, const char *action,
			const char *addr)
{
	mw_addr_state want = MW_ADDR_ACTIVE; /* restore */
	if (strcmp(action, "retire") == 0)
		want = MW_ADDR_RETIRED;
	else if (strcmp(action, "receive-only") == 0)
		want = MW_ADDR_RECEIVE_ONLY;
	if (!mw_config_is_local_address(cfg, mw_str_from_cstr(addr)))
		fprintf(stderr,
			"mailwarden address: warning: %s is not in "
			"local_domains; the shield acts only on local "
			"addresses\n",
			strrchr(addr, '@') + 1);
	mw_addr_state was;
	mw_status rc = mw_addr_state_get(st, addr, &was);
	if (rc == MW_OK)
		rc = mw_addr_state_set(st, addr, want, time(NULL));
	if (rc == MW_OK)
		rc = mw_store_flush(st, ADDRESS_FLUSH_MS);
	if (rc != MW_OK) {
		cli_error("address", "%s: the store failed: %s", addr,
			  mw_status_str(rc));
		return CLI_USAGE;
	}
	printf("%s: %s (was %s)\n", addr, mw_addr_state_name(want),
	       mw_addr_state_name(was));
	return CLI_OK;
}

static int list_states(mw_store *st, bool json)
{
	mw_store_list l;
	mw_store_list_init(&l);
	mw_status rc = mw_addr_state_list(st, MW_STORE_READ_MAX, &l);
	if (rc != MW_OK) {
		mw_store_list_free(&l);
		cli_error("address", "the store failed: %s", mw_status_str(rc));
		return CLI_USAGE;
	}
	for (size_t i = 0; i < l.n; i++) {
		const mw_store_item *it = &l.items[i];
		const char *addr = it->key + sizeof MW_ADDR_STATE_NS;
		char since[21];
		mw_date_format_iso(it->t, since);
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "address", cli_json_str(addr));
			json_object_set_new(o, "state",
					    cli_json_str(it->value));
			json_object_set_new(o, "since", json_string(since));
			cli_json_print(stdout, o);
		} else {
			printf("%-40s  %-12s  %s\n", addr, it->value, since);
		}
	}
	mw_store_list_free(&l);
	return CLI_OK;
}

static int address_main(int argc, char **argv)
{
	address_args a;
	if (!parse_args(argc, argv, &a)) {
		cli_error("address", "%s", address_usage);
		return CLI_USAGE;
	}
	char addr[MW_ADDRESS_MAX + 1];
	if (a.operand && !clean_address(a.operand, addr, sizeof addr))
		return CLI_USAGE;
	mw_config *cfg = cli_load_config_for_store("address", a.config);
	if (!cfg)
		return CLI_USAGE;
	mw_store *st = cli_open_store("address", cfg);
	if (!st) {
		mw_config_free(cfg);
		return CLI_USAGE;
	}
	int rc = strcmp(a.action, "list") == 0
		     ? list_states(st, a.json)
		     : change_state(cfg, st, a.action, addr);
	mw_store_close(st);
	mw_config_free(cfg);
	return rc;
}

const cli_verb cli_verb_address = {
    .name = "address",
    .run = address_main,
    .summary = "retire an address, make it receive-only, restore, list",
    .help = address_help,
};
