/*
 * mime_gmime.c - the MIME benchmark's baseline: GMime 3 parses each
 * message from memory (no copy: the stream wraps the loaded bytes, and the
 * parser keeps part contents as references into it, which is GMime's
 * default), then a walk of every part, into multiparts and enclosed
 * messages, reading its type and charset; with --decode, every text part
 * converted to UTF-8 (g_mime_text_part_get_text). See bench/README.md.
 */
#include <stdint.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bench_main.h"

/* Deep enough for any honest message; mailwarden stops at 32. */
#define WALK_DEPTH_MAX 64

static void walk(GMimeObject *obj, bool decode, bench_tally *t, int depth)
{
	if (!obj || depth > WALK_DEPTH_MAX)
		return;
	t->parts++;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (ct) {
		const char *type = g_mime_content_type_get_media_type(ct);
		const char *sub = g_mime_content_type_get_media_subtype(ct);
		const char *charset =
		    g_mime_content_type_get_parameter(ct, "charset");
		if (!type || !sub || charset == (const char *)obj)
			t->failures++; /* never: keeps the reads */
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i), decode, t,
			     depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			walk(g_mime_message_get_mime_part(inner), decode, t,
			     depth + 1);
	} else if (decode && GMIME_IS_TEXT_PART(obj)) {
		char *s = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
		if (s) {
			t->text_bytes += strlen(s);
			g_free(s);
		}
	}
}

void bench_parse(const char *msg, size_t len, bool decode, bench_tally *t)
{
	/* Wrap the loaded bytes without copying them; the array is taken
	 * apart again below without freeing them. */
	GByteArray *bytes =
	    g_byte_array_new_take((guint8 *)(uintptr_t)msg, len);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	if (message) {
		walk(g_mime_message_get_mime_part(message), decode, t, 0);
		g_object_unref(message);
	} else {
		t->failures++;
	}
	g_object_unref(parser);
	g_object_unref(stream);
	(void)g_byte_array_free(bytes, FALSE);
}

int main(int argc, char **argv)
{
	g_mime_init();
	int rc = bench_main("gmime", argc, argv);
	g_mime_shutdown();
	return rc;
}
