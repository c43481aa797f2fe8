/* unit_main.c: runs every unit-test suite of the pure helpers and reports.
 *
 * What it does: runs the suites declared in unit_suites.h in order, prints one
 * line per suite with its check count, then the summary `unit: N checks
 * passed`, or `unit: F of N checks FAILED (seed S; ...)` after the failure lines.
 *
 * Contract: usage `test_unit SCRATCH_DIR` (an existing directory for temporary
 * files, removed again by the suites that use it). UNIT_TEST_SEED=N (decimal
 * or 0x hex) varies the random sequences. Exit status 0 when every check
 * passed, 1 when one failed, 2 on a usage error.
 *
 * Must not: count a check that did not run, or stop at the first failure. */
#include <stdio.h>
#include <sys/stat.h>

#include "unit.h"
#include "unit_suites.h"

struct suite {
    const char *name;
    void (*run)(void);
};

static const struct suite SUITES[] = {
    {"http_date", test_http_date},
    {"client_table", test_client_table},
    {"access_log", test_access_log},
    {"proc_status", test_proc_status},
    {"config", test_config},
    {"mime", test_mime},
    {"listener", test_listener},
    {"response", test_response},
    {"rate_limit", test_rate_limit},
    {"cidr", test_cidr},
    {"text_number", test_text_number},
    {"posix_acl", test_posix_acl},
    {"prefault", test_prefault},
    {"seam_tables", test_seam_tables},
    {"log_channel", test_log_channel},
    {"access_log_json", test_access_log_json},
    {"metrics", test_metrics},
    {"file_cache", test_file_cache},
    /* What an administrator sets; the budget loads a MIME table, so after "mime". */
    {"site_headers", test_site_headers},
    {"site_error_pages", test_site_error_pages},
    {"site_redirect", test_site_redirect},
    {"site_listing", test_site_listing},
    {"site_listen", test_site_listen},
    {"site_user", test_site_user},
    {"site_budget", test_site_budget},
};

int main(int argc, char **argv)
{
    struct stat scratch;
    if (argc != 2 || stat(argv[1], &scratch) != 0 || !S_ISDIR(scratch.st_mode)) {
        fprintf(stderr, "usage: test_unit SCRATCH_DIR (an existing directory)\n");
        return 2;
    }
    unit_scratch_dir = argv[1];
    unit_begin("unit", "UNIT_TEST_SEED", UNIT_DEFAULT_SEED);
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++) {
        unsigned long passed_before = unit_checks_passed, failed_before = unit_failures;
        SUITES[i].run();
        fflush(stdout);
        printf("unit: %-16s %8lu checks%s\n", SUITES[i].name,
               unit_checks_passed - passed_before + unit_failures - failed_before,
               unit_failures > failed_before ? ", FAILED" : "");
    }
    if (unit_failures == 0)
        printf("unit: %lu checks passed\n", unit_checks_passed);
    return unit_end();
}
