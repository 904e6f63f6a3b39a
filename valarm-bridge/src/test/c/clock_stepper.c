/*
 * Steps the host's CLOCK_REALTIME to its own reading every PERIOD ms until killed: each step moves the
 * clock by the microseconds between the read and the set, and each is a clock change to the kernel
 * (it cancels every CANCEL_ON_SET timerfd), as the CI machines' clock keeping does several times a
 * second. Needs CAP_SYS_TIME. Written for valarm's tests.
 *
 *   clock_stepper PERIOD_MS
 *
 * Prints "stepping every N ms" once it has stepped the first time; exits 1 if it cannot set the clock.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

int main(int argc, char **argv) {
    long period = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    if (period <= 0 || period > 60000) {
        fprintf(stderr, "usage: %s PERIOD_MS (1-60000)\n", argv[0]);
        return 2;
    }
    struct timespec gap = { period / 1000, (period % 1000) * 1000000L };
    for (long n = 0;; n++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (clock_settime(CLOCK_REALTIME, &now) != 0) {
            fprintf(stderr, "clock_settime(CLOCK_REALTIME): %s\n", strerror(errno));
            return 1;
        }
        if (n == 0) {
            printf("stepping every %ld ms\n", period);
            fflush(stdout);
        }
        struct timespec left = gap;
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
        }
    }
}
