/*
 * A small QMP client (the CLI and the tests): connect to the emulator's QMP
 * socket (-qmp unix:PATH,server=on,wait=off), run commands, read events.
 * Replies are kept as JSON text; vg_qmp_get_* pick members out of them.
 */
#ifndef VIGILANTE_QMP_CLIENT_H
#define VIGILANTE_QMP_CLIENT_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct VgQmp VgQmp;

/* Connect (retrying until timeout_ms) and negotiate capabilities. */
VgQmp *vg_qmp_connect(const char *socket_path, guint timeout_ms,
                      GError **errp);

/*
 * Run one command, e.g. "{\"execute\":\"query-taint\"}"; returns the
 * reply line ("return" or "error"; events met on the way are queued).
 * NULL on timeout or a closed connection.
 */
char *vg_qmp_command(VgQmp *qmp, const char *json, guint timeout_ms);

/* Wait for an event by name; returns its line (queued ones first). */
char *vg_qmp_wait_event(VgQmp *qmp, const char *name, guint timeout_ms);

void vg_qmp_close(VgQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgQmp, vg_qmp_close)

/* The first member "key": <number> / <true|false> / "<string>" in json. */
gboolean vg_qmp_get_uint(const char *json, const char *key, guint64 *out);
gboolean vg_qmp_get_bool(const char *json, const char *key, gboolean *out);
char *vg_qmp_get_string(const char *json, const char *key);

G_END_DECLS

#endif
