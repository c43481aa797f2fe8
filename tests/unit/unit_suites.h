/* unit_suites.h: the suites of the test_unit binary, one per pure helper module,
 * then those of what an administrator sets (the site suites).
 *
 * What it does: declares each suite's entry point, test_MODULE() in
 * tests/unit/test_MODULE.c, and the site suites, test_site_*() in
 * tests/unit/test_site_*.c (--header, --cache-control, --error-page, the
 * redirect's Location, listings' sizes and order, --listen shorthands, --user
 * UID:GID, and the response-head budget those rely on); unit_main.c runs them
 * in order (its SUITES table).
 *
 * Contract: a suite records its checks through unit.h and returns; it may
 * write temporary files under unit_scratch_dir and removes them again.
 *
 * Must not: declare a suite that has its own main() (test_static.c,
 * test_proxy_protocol.c and tests/parser/test_parser.c are binaries of their own). */
#ifndef PRONG_TESTS_UNIT_SUITES_H
#define PRONG_TESTS_UNIT_SUITES_H

void test_http_date(void);
void test_client_table(void);
void test_access_log(void);
void test_access_log_json(void);
void test_proc_status(void);
void test_config(void);
void test_mime(void);
void test_listener(void);
void test_response(void);
void test_rate_limit(void);
void test_cidr(void);
void test_text_number(void);
void test_posix_acl(void);
void test_prefault(void);
void test_seam_tables(void);
void test_log_channel(void);
void test_metrics(void);
void test_file_cache(void);

void test_site_headers(void);
void test_site_error_pages(void);
void test_site_redirect(void);
void test_site_listing(void);
void test_site_listen(void);
void test_site_user(void);
void test_site_budget(void);

#endif
