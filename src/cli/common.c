/* common.c - helpers the verbs share: errors, help, input, JSON. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/date.h"
#include "lib/file.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/charset.h"

void cli_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mailwarden %s: ", verb);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool cli_wants_help(const cli_verb *v, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(v->help, stdout);
			return true;
		}
	}
	return false;
}

int cli_json_option(const char *verb, const char *usage, int argc, char **argv,
		    bool *json)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	int c;
	*json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			cli_error(verb, "usage: %s", usage);
			return -1;
		}
		*json = true;
	}
	return optind;
}

bool cli_read_message(const char *verb, const char *path, mw_buf *msg,
		      bool *truncated)
{
	if (mw_file_read(path, MW_MESSAGE_MAX, msg, truncated) != MW_OK) {
		cli_error(verb, "%s: %s", strcmp(path, "-") ? path : "stdin",
			  strerror(errno));
		return false;
	}
	return true;
}

json_t *cli_json_str(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	/* Not valid UTF-8: repair it rather than lose the field. */
	mw_buf fixed;
	mw_buf_init(&fixed, 4 * strlen(s) + 16);
	mw_utf8_sanitize(s, strlen(s), &fixed);
	j = json_string(mw_buf_cstr(&fixed));
	mw_buf_free(&fixed);
	return j ? j : json_null();
}

json_t *cli_json_hop(const mw_received *hop)
{
	json_t *o = json_object();
	json_object_set_new(o, "from_host", cli_json_str(hop->from_host));
	json_object_set_new(o, "from_helo", cli_json_str(hop->from_helo));
	json_object_set_new(o, "from_ip", cli_json_str(hop->from_ip));
	json_object_set_new(o, "by_host", cli_json_str(hop->by_host));
	json_object_set_new(o, "protocol", cli_json_str(hop->protocol));
	json_object_set_new(o, "id", cli_json_str(hop->id));
	json_object_set_new(o, "for", cli_json_str(hop->for_addr));
	json_object_set_new(o, "date", cli_json_str(hop->date));
	if (hop->has_date) {
		char iso[21];
		mw_date_format_iso(hop->date_unix, iso);
		json_object_set_new(o, "date_utc", json_string(iso));
	} else {
		json_object_set_new(o, "date_utc", json_null());
	}
	json_object_set_new(o, "tls", json_boolean(hop->tls));
	json_object_set_new(o, "authenticated_as",
			    cli_json_str(hop->authenticated_as));
	return o;
}

json_t *cli_json_hops(const mw_received *hops, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, cli_json_hop(&hops[i]));
	return a;
}

void cli_json_print(FILE *out, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text) {
		fputs(text, out);
		fputc('\n', out);
		free(text);
	}
	json_decref(obj);
}

void cli_print_field(FILE *out, const char *indent, const char *label,
		     const char *value)
{
	if (value)
		fprintf(out, "%s%-12s %s\n", indent, label, value);
}

/* -- the store, for the verbs that read and change it ------------------- */

mw_config *cli_load_config_for_store(const char *verb, const char *path)
{
	static mw_config_errors errs; /* 20 KiB: not on the stack */
	mw_config *cfg = NULL;
	if (mw_config_load(path, &cfg, &errs) != MW_OK) {
		mw_config_errors_print(&errs, stderr);
		return NULL;
	}
	if (cfg->store.kind != MW_CFG_STORE_SQLITE) {
		cli_error(verb, "%s: store = redis is not supported yet", path);
		mw_config_free(cfg);
		return NULL;
	}
	return cfg;
}

mw_store *cli_open_store(const char *verb, const mw_config *cfg)
{
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = cfg->state_dir;
	sc.sent_log_days = (unsigned)cfg->sent_log_days;
	mw_store_error err;
	mw_store *st = NULL;
	if (mw_store_open(&sc, &st, &err) != MW_OK) {
		cli_error(verb, "%s", err.msg);
		return NULL;
	}
	return st;
}
