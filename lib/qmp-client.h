/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A QMP client for the host tools and the tests: connect to the
 * emulator's QMP socket (-qmp unix:PATH,server=on,wait=off), run
 * commands, wait for events.  Every line the emulator sends is parsed
 * with json-glib and classified by its top-level member (greeting,
 * "return", "error", "event"); commands are built as JSON objects, never
 * by pasting text, and an {"error": ...} reply becomes a GError.
 */
#ifndef VIGILANTE_QMP_CLIENT_H
#define VIGILANTE_QMP_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define VG_QMP_ERROR (vg_qmp_error_quark())
GQuark vg_qmp_error_quark(void);

typedef enum {
    VG_QMP_ERROR_CONNECT,       /* no emulator there, or no QMP greeting */
    VG_QMP_ERROR_TIMEOUT,       /* no answer in time */
    VG_QMP_ERROR_CLOSED,        /* the emulator closed the connection */
    VG_QMP_ERROR_PROTOCOL,      /* a line that is not a QMP message */
    /* {"error": ...}, by the error's class; the message is its desc */
    VG_QMP_ERROR_GENERIC,
    VG_QMP_ERROR_COMMAND_NOT_FOUND,
    VG_QMP_ERROR_DEVICE_NOT_FOUND,
    VG_QMP_ERROR_DEVICE_NOT_ACTIVE,
    VG_QMP_ERROR_OTHER_CLASS,
} VgQmpError;

typedef struct VgQmp VgQmp;

/* How long the tools and tests wait for a command's answer by default. */
#define VG_QMP_TIMEOUT_MS 10000

/* Connect (retrying until timeout_ms) and negotiate capabilities. */
VgQmp *vg_qmp_connect(const char *socket_path, guint timeout_ms,
                      GError **errp);

/*
 * Run @command with @arguments (a JSON object, consumed; NULL for none).
 * Returns the reply's "return" value (never NULL on success: {} for an
 * empty one); NULL with @errp set otherwise.  Events met on the way are
 * queued for vg_qmp_next_event().
 */
JsonNode *vg_qmp_execute(VgQmp *qmp, const char *command,
                         JsonNode *arguments, guint timeout_ms,
                         GError **errp);

/*
 * The next event named @name (queued ones first), as its whole object
 * ("event", "data", "timestamp"); NULL on timeout or a closed connection.
 */
JsonNode *vg_qmp_next_event(VgQmp *qmp, const char *name, guint timeout_ms);

/*
 * Text forms, for the tests and `vigilante qmp`: @json is a command
 * object as text (it must parse, and name a command with "execute");
 * the reply and the event are returned as the emulator sent them.  NULL
 * on timeout, a closed connection, or a command that does not parse.
 */
char *vg_qmp_command(VgQmp *qmp, const char *json, guint timeout_ms);
char *vg_qmp_wait_event(VgQmp *qmp, const char *name, guint timeout_ms);

/* Forget the events read so far and not yet waited for. */
void vg_qmp_drop_events(VgQmp *qmp);
void vg_qmp_close(VgQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgQmp, vg_qmp_close)

/*
 * A member of a QMP message given as text: @key is a member of the
 * message object itself, or else of its "data" (events), "return" or
 * "error" object; a dotted @key ("data.labels") names a path from the
 * message.  FALSE / NULL when absent, of another type, or the text is
 * not a JSON object.
 */
gboolean vg_qmp_get_uint(const char *json, const char *key, guint64 *out);
gboolean vg_qmp_get_bool(const char *json, const char *key, gboolean *out);
char *vg_qmp_get_string(const char *json, const char *key);

/* @key of the message in @json, found the same way (a new reference). */
JsonNode *vg_qmp_parse_member(const char *json, const char *key);

/* JSON helpers on json-glib for the same layer. */
JsonNode *vg_json_parse(const char *text, GError **errp);
/*
 * The node at dotted @path in @root (borrowed), or NULL; a number
 * indexes an array ("return.filters.0.hits").
 */
JsonNode *vg_json_lookup(JsonNode *root, const char *path);
/* @key in a QMP message, found as for vg_qmp_get_*() (borrowed). */
JsonNode *vg_qmp_member(JsonNode *msg, const char *key);
/* @node as compact JSON text. */
char *vg_json_to_string(JsonNode *node);

G_END_DECLS

#endif
