/* afl_persistent_main.h: the AFL++ persistent-mode main() every harness in fuzz/ ends with.
 *
 * Included last by a harness that defines LLVMFuzzerTestOneInput.
 * afl-clang-fast/afl-clang-lto define __AFL_FUZZ_TESTCASE_LEN; the test case
 * arrives in shared memory, and the process runs many inputs between forks.
 * Under libFuzzer (no such macro) or with FUZZ_NO_MAIN (a driver such as
 * libAFLDriver brings main) this adds nothing.
 * Must not: be included twice in one program, or hold any harness's checks. */
#if defined(__AFL_FUZZ_TESTCASE_LEN) && !defined(FUZZ_NO_MAIN)
#include <unistd.h> /* read(), used by __AFL_FUZZ_TESTCASE_LEN outside afl-fuzz */

__AFL_FUZZ_INIT();

/* AFL++'s macros mix int and unsigned; the warnings are about its code, not ours. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wconversion"
#pragma clang diagnostic ignored "-Wsign-conversion"
int main(void)
{
    __AFL_INIT();
    const unsigned char *testcase = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        size_t length = (size_t)__AFL_FUZZ_TESTCASE_LEN;
        LLVMFuzzerTestOneInput(testcase, length);
    }
    return 0;
}
#pragma clang diagnostic pop
#endif
