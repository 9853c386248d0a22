/*
 * QMP interface of the taint engine.
 */
#include "qemu/osdep.h"
#include "qapi/qapi-commands-vigilante.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"

TaintInfo *qmp_query_taint(Error **errp)
{
    TaintInfo *info = g_new0(TaintInfo, 1);

    info->enabled = hw_taint_on;
    info->dirty_bytes = taint_shadow_dirty_bytes();
    info->dirty_pages = taint_shadow_dirty_pages();
    info->input_events = hw_taint_input_events();
    info->input_bytes = hw_taint_input_bytes();
    return info;
}
