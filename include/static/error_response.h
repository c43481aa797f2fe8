/* error_response.h: the error answers of the static layer (--error-page or built-in).
 *
 * Contract: the planners are static_files.h's (static_files_plan_error,
 * static_files_plan_refusal, static_files_plan_refusal_with) and
 * static_files_report_error_pages; error_response_configure() tells them the
 * pages and the --symlinks policy (static_files_configure calls it). The
 * behaviour is described in src/static/error_response.c and
 * docs/static-files.md, "Error pages".
 * Must not: hold state beyond the configuration. */
#ifndef PRONG_ERROR_RESPONSE_H
#define PRONG_ERROR_RESPONSE_H

#include "config.h"
#include "static/error_pages.h"
#include "static/static_files.h"

void error_response_configure(const struct error_pages *pages, enum symlink_policy symlinks);

#endif
