/*
 * protocol.c - option negotiation and the rules of which reply answers
 * which command.
 *
 * The rules follow what Postfix's MTA side accepts (milter8.c): any
 * decision (continue, accept, reject, tempfail, reply code) in answer to a
 * command it waits for; modification requests only in answer to end of
 * message, where anything else is a protocol error that makes Postfix drop
 * the filter for the session. We are stricter than Postfix in one place:
 * quarantine is kept to end of message, as libmilter's API keeps it.
 */
#include "milter/protocol.h"

#include <stddef.h>

/* The no-reply flag of each command that has one. */
static uint32_t no_reply_flag(unsigned char cmd)
{
	switch (cmd) {
	case MW_SMFIC_CONNECT:
		return MW_SMFIP_NR_CONN;
	case MW_SMFIC_HELO:
		return MW_SMFIP_NR_HELO;
	case MW_SMFIC_MAIL:
		return MW_SMFIP_NR_MAIL;
	case MW_SMFIC_RCPT:
		return MW_SMFIP_NR_RCPT;
	case MW_SMFIC_DATA:
		return MW_SMFIP_NR_DATA;
	case MW_SMFIC_UNKNOWN:
		return MW_SMFIP_NR_UNKN;
	case MW_SMFIC_HEADER:
		return MW_SMFIP_NR_HDR;
	case MW_SMFIC_EOH:
		return MW_SMFIP_NR_EOH;
	case MW_SMFIC_BODY:
		return MW_SMFIP_NR_BODY;
	default:
		return 0;
	}
}

mw_status mw_milter_negotiate(const mw_milter_opts *offered,
			      const mw_milter_opts *wanted,
			      mw_milter_opts *agreed)
{
	if (offered->version < MW_MILTER_VERSION_MIN)
		return MW_EINVAL;
	uint32_t version =
	    wanted->version ? wanted->version : MW_MILTER_VERSION;
	if (version > MW_MILTER_VERSION)
		version = MW_MILTER_VERSION;
	if (offered->version < version)
		version = offered->version;

	agreed->version = version;
	agreed->actions = wanted->actions & offered->actions & MW_SMFIF_ALL;
	agreed->protocol = wanted->protocol & offered->protocol & MW_SMFIP_ALL;

	bool all = agreed->actions == wanted->actions &&
		   agreed->protocol == wanted->protocol;
	return all ? MW_OK : MW_ETRUNCATED;
}

bool mw_milter_expects_reply(const mw_milter_opts *agreed, unsigned char cmd)
{
	switch (cmd) {
	case MW_SMFIC_OPTNEG:
	case MW_SMFIC_BODYEOB:
		return true;
	case MW_SMFIC_CONNECT:
	case MW_SMFIC_HELO:
	case MW_SMFIC_MAIL:
	case MW_SMFIC_RCPT:
	case MW_SMFIC_DATA:
	case MW_SMFIC_UNKNOWN:
	case MW_SMFIC_HEADER:
	case MW_SMFIC_EOH:
	case MW_SMFIC_BODY:
		return (agreed->protocol & no_reply_flag(cmd)) == 0;
	default:
		/* MACRO, ABORT, QUIT, QUIT_NC and bytes that are no command. */
		return false;
	}
}

uint32_t mw_milter_reply_action(unsigned char reply)
{
	switch (reply) {
	case MW_SMFIR_ADDHEADER:
	case MW_SMFIR_INSHEADER:
		return MW_SMFIF_ADDHDRS;
	case MW_SMFIR_CHGHEADER:
		return MW_SMFIF_CHGHDRS;
	case MW_SMFIR_ADDRCPT:
		return MW_SMFIF_ADDRCPT;
	case MW_SMFIR_ADDRCPT_PAR:
		return MW_SMFIF_ADDRCPT_PAR;
	case MW_SMFIR_DELRCPT:
		return MW_SMFIF_DELRCPT;
	case MW_SMFIR_CHGFROM:
		return MW_SMFIF_CHGFROM;
	case MW_SMFIR_QUARANTINE:
		return MW_SMFIF_QUARANTINE;
	case MW_SMFIR_REPLBODY:
		return MW_SMFIF_CHGBODY;
	default:
		return 0;
	}
}

/* Replies that end the handling of a command: one of them per command. */
static bool is_decision(unsigned char reply)
{
	switch (reply) {
	case MW_SMFIR_CONTINUE:
	case MW_SMFIR_ACCEPT:
	case MW_SMFIR_REJECT:
	case MW_SMFIR_TEMPFAIL:
	case MW_SMFIR_REPLYCODE:
	case MW_SMFIR_DISCARD:
		return true;
	default:
		return false;
	}
}

static bool modification_allowed(const mw_milter_opts *agreed,
				 unsigned char cmd, unsigned char reply)
{
	uint32_t action = mw_milter_reply_action(reply);
	if (reply == MW_SMFIR_REPLBODY)
		return false; /* we never replace bodies */
	return cmd == MW_SMFIC_BODYEOB && (agreed->actions & action) == action;
}

bool mw_milter_reply_allowed(const mw_milter_opts *agreed, unsigned char cmd,
			     unsigned char reply)
{
	if (cmd == MW_SMFIC_OPTNEG)
		return reply == MW_SMFIC_OPTNEG;
	if (!mw_milter_expects_reply(agreed, cmd))
		return false;
	if (mw_milter_reply_action(reply) != 0)
		return modification_allowed(agreed, cmd, reply);
	if (reply == MW_SMFIR_DISCARD)
		return cmd != MW_SMFIC_CONNECT && cmd != MW_SMFIC_HELO;
	if (is_decision(reply) || reply == MW_SMFIR_PROGRESS)
		return true;
	if (reply == MW_SMFIR_SKIP)
		return cmd == MW_SMFIC_BODY &&
		       (agreed->protocol & MW_SMFIP_SKIP) != 0;
	return false;
}

const char *mw_milter_command_name(unsigned char cmd)
{
	switch (cmd) {
	case MW_SMFIC_ABORT:
		return "ABORT";
	case MW_SMFIC_BODY:
		return "BODY";
	case MW_SMFIC_CONNECT:
		return "CONNECT";
	case MW_SMFIC_MACRO:
		return "MACRO";
	case MW_SMFIC_BODYEOB:
		return "EOB";
	case MW_SMFIC_HELO:
		return "HELO";
	case MW_SMFIC_QUIT_NC:
		return "QUIT_NC";
	case MW_SMFIC_HEADER:
		return "HEADER";
	case MW_SMFIC_MAIL:
		return "MAIL";
	case MW_SMFIC_EOH:
		return "EOH";
	case MW_SMFIC_OPTNEG:
		return "OPTNEG";
	case MW_SMFIC_QUIT:
		return "QUIT";
	case MW_SMFIC_RCPT:
		return "RCPT";
	case MW_SMFIC_DATA:
		return "DATA";
	case MW_SMFIC_UNKNOWN:
		return "UNKNOWN";
	default:
		return NULL;
	}
}
