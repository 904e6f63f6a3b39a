/*
 * valarm's conformance client: drives one served alarm node (CUSE device or FUSE file) through the
 * real kernel with the driver's ioctls and checks the answers against the specification
 * (alarm-dev.md, section 4). Written for valarm; every check names what it expected.
 *
 *   alarm_conformance --node PATH --transport cuse|fuse [--wall-offset-ns N] [--only a,b,c] [--watchdog S]
 *   alarm_conformance --node PATH --hold-wait K     (stop tests: K processes block in WAIT on one
 *                                                    owner fd and report how WAIT ended)
 *
 * Output: one "ok - NAME" or "not ok - NAME: reason" line per test, then "# N ok, M not ok"; "#" lines
 * also say when a time-change bit raised before the run was collected and, when the host's
 * CLOCK_REALTIME was stepped during the run, how often and how many bits were forgiven for it.
 * Exit status: 0 if all passed, 1 otherwise, 2 for a usage error, 3 for a test that hung (watchdog).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alarm_dev.h"

#define MS 1000000LL
#define SEC 1000000000LL

static const char *node;
static int cuse;                 /* 1: CUSE (GET_TIME works), 0: FUSE (GET_TIME is EOPNOTSUPP) */
static long long wall_offset;    /* instance wall clock minus host CLOCK_REALTIME, ns */
static const char *current_test = "?";
static char failure[512];
static int passed, failed;

/* ---------------------------------------------------------------- helpers */

/* A test function's third answer (beside 0 and 1): a host clock step disturbed it, run it again. */
#define RETRY 2
#define RETRIES 5

static int fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    return 1;
}

#define CHECK(cond, ...) do { if (!(cond)) return fail(__VA_ARGS__); } while (0)

static long long clock_ns(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (long long)t.tv_sec * SEC + t.tv_nsec;
}

static long long mono(void) { return clock_ns(CLOCK_MONOTONIC); }

/* The instance's time on a type's clock, as this process computes it. */
static long long type_now(int type) {
    switch (type) {
    case ALARM_RTC_WAKEUP:
    case ALARM_RTC:
        return clock_ns(CLOCK_REALTIME) + wall_offset;
    case ALARM_ELAPSED_REALTIME_WAKEUP:
    case ALARM_ELAPSED_REALTIME:
        return clock_ns(CLOCK_BOOTTIME);
    default:
        return clock_ns(CLOCK_MONOTONIC);
    }
}

static struct alarm_ts ts_of(long long ns) {
    struct alarm_ts t;
    t.tv_sec = (long)(ns / SEC);
    t.tv_nsec = (long)(ns % SEC);
    return t;
}

static int open_node(int flags) {
    int fd = open(node, flags | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "open %s: %s\n", node, strerror(errno));
    }
    return fd;
}

/* ioctl returning -errno on failure, the result otherwise */
static int io(int fd, unsigned long req, void *arg) {
    int r = ioctl(fd, req, arg);
    return r < 0 ? -errno : r;
}

/* ---------------------------------------------------------------- host clock steps */

/*
 * Some machines step CLOCK_REALTIME several times a second (the CI machines do: their WAITs saw the
 * time-change bit over 150 times in half a minute). A host clock change raises TIME_CHANGE on every
 * instance (alarm-dev.md 9.5, DESIGN.md rule 6), so a WAIT may return the bit although no test
 * caused it. This process (with the ones it forks) watches for steps, with a CANCEL_ON_SET timerfd: the
 * kernel cancels it in the same clock_was_set() that wakes the daemon's, so a step the daemon saw
 * before answering is visible here once the WAIT has returned. The time-change bit is forgiven
 * (dropped, and a WAIT that returned only it repeated) only when such a step was seen within the
 * last STEP_WINDOW; on a machine whose clock nobody steps it is still a failure.
 */
#define STEP_WINDOW (2 * SEC)
static int steps_fd = -1;
/*
 * mono() when a step was last seen by this process or any it forked, -1 never: in a shared page, since
 * the processes share the one timerfd and whichever reads its cancellation consumes it (atomic).
 */
static long long *last_step_seen;
static long steps_seen, steps_forgiven; /* this process's (atomic: waiter threads) */

static void steps_arm(void) {
    struct itimerspec far;
    memset(&far, 0, sizeof far);
    far.it_value.tv_sec = 0x7fffffff; /* 2038: never, also for a 32-bit time_t */
    if (timerfd_settime(steps_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL) != 0) {
        fprintf(stderr, "timerfd_settime(CANCEL_ON_SET): %s\n", strerror(errno));
    }
}

/* Opens the watcher, before any fork: the children share it and the page of the last step seen. */
static void steps_open(void) {
    last_step_seen = mmap(NULL, sizeof *last_step_seen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (last_step_seen == MAP_FAILED) {
        fprintf(stderr, "mmap: %s\n", strerror(errno));
        exit(2);
    }
    *last_step_seen = -1;
    steps_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (steps_fd < 0) {
        fprintf(stderr, "timerfd_create(CLOCK_REALTIME): %s\n", strerror(errno));
        return;
    }
    steps_arm();
}

/* Notes a host clock step since the last look (the read fails with ECANCELED). */
static void steps_poll(void) {
    uint64_t ticks;
    if (steps_fd >= 0 && read(steps_fd, &ticks, sizeof ticks) < 0 && errno == ECANCELED) {
        __atomic_add_fetch(&steps_seen, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(last_step_seen, mono(), __ATOMIC_SEQ_CST);
        steps_arm();
    }
}

static int host_step_explains_time_change(void) {
    steps_poll();
    long long seen = __atomic_load_n(last_step_seen, __ATOMIC_SEQ_CST);
    return seen >= 0 && mono() - seen <= STEP_WINDOW;
}

/* The result of a WAIT without a time-change bit that a host step explains (0: only that bit came). */
static int forgive_host_steps(int r) {
    if (r > 0 && (r & ALARM_TIME_CHANGE_MASK) && host_step_explains_time_change()) {
        __atomic_add_fetch(&steps_forgiven, 1, __ATOMIC_SEQ_CST);
        return r & ~ALARM_TIME_CHANGE_MASK;
    }
    return r;
}

/*
 * WAIT for alarms: what io(fd, ALARM_WAIT) returns, less a time-change bit a host step explains. A WAIT
 * that returned only that bit is sent again; *rewaits counts those and *last_rewait says when the last
 * one was sent (mono(); either may be NULL).
 */
static int wait_alarms_noting(int fd, int *rewaits, long long *last_rewait) {
    for (;;) {
        int r = forgive_host_steps(io(fd, ALARM_WAIT, NULL));
        if (r != 0) {
            return r;
        }
        if (rewaits) {
            (*rewaits)++;
        }
        if (last_rewait) {
            *last_rewait = mono();
        }
    }
}

static int wait_alarms(int fd) {
    return wait_alarms_noting(fd, NULL, NULL);
}

static int set_in(int fd, int type, long long delta_ns) {
    struct alarm_ts t = ts_of(type_now(type) + delta_ns);
    return io(fd, ALARM_SET(type), &t);
}

static void sleep_ns(long long ns) {
    struct timespec t = { (time_t)(ns / SEC), (long)(ns % SEC) };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* Waits until thread/process `tid` is blocked in ioctl(2) (its /proc syscall line starts with the
 * ioctl number), at most 5 s. This is an event, not a guess at how long blocking takes. */
static int wait_blocked_in_ioctl(pid_t pid, pid_t tid) {
    char path[96], line[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    long long deadline = mono() + 5 * SEC;
    while (mono() < deadline) {
        FILE *f = fopen(path, "r");
        if (f) {
            long nr = -1;
            if (fgets(line, sizeof line, f)) {
                nr = strtol(line, NULL, 10);
            }
            fclose(f);
            if (nr == SYS_ioctl) {
                /* blocked in the syscall, not just entering it: state S */
                char spath[96], sline[512];
                snprintf(spath, sizeof spath, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
                FILE *s = fopen(spath, "r");
                if (s) {
                    int sleeping = 0;
                    if (fgets(sline, sizeof sline, s)) {
                        char *p = strrchr(sline, ')');
                        sleeping = p && (p[2] == 'S' || p[2] == 'D');
                    }
                    fclose(s);
                    if (sleeping) {
                        return 1;
                    }
                }
            }
        }
        sleep_ns(2 * MS);
    }
    return 0;
}

static void drain(int owner) {
    /* Collect whatever is pending so the next test starts clean (WAIT returns at once then). */
    for (int t = 0; t < ALARM_TYPE_COUNT; t++) {
        io(owner, ALARM_CLEAR(t), NULL);
    }
}

/* ---------------------------------------------------------------- tests */

static int t_numbers(void) {
    if (sizeof(long) == 8) {
        CHECK(ALARM_SET(ALARM_RTC_WAKEUP) == 0x40106102u, "SET(0) = %#lx", (unsigned long)ALARM_SET(0));
        CHECK(ALARM_GET_TIME(ALARM_ELAPSED_REALTIME) == 0x40106134u, "GET_TIME(3) wrong");
        CHECK(ALARM_SET_RTC == 0x40106105u, "SET_RTC wrong");
    } else {
        CHECK(ALARM_SET(ALARM_RTC_WAKEUP) == 0x40086102u, "compat SET(0) = %#lx", (unsigned long)ALARM_SET(0));
        CHECK(ALARM_GET_TIME(ALARM_ELAPSED_REALTIME) == 0x40086134u, "compat GET_TIME(3) wrong");
        CHECK(ALARM_SET_RTC == 0x40086105u, "compat SET_RTC wrong");
    }
    CHECK(ALARM_CLEAR(ALARM_SYSTEMTIME) == 0x6140u && ALARM_WAIT == 0x6101u, "CLEAR/WAIT wrong");
    CHECK(ALARM_SET_AND_WAIT(ALARM_SYSTEMTIME) == (sizeof(long) == 8 ? 0x40106143u : 0x40086143u), "SET_AND_WAIT wrong");
    return 0;
}

static int t_read_only(void) {
    int ro = open_node(O_RDONLY);
    CHECK(ro >= 0, "open O_RDONLY failed");
    struct alarm_ts t = { 0, 0 };
    int r = io(ro, ALARM_GET_TIME(ALARM_RTC), &t);
    if (cuse) {
        CHECK(r == 0, "GET_TIME(RTC) on a read-only fd: %d, want 0", r);
        long long want = clock_ns(CLOCK_REALTIME) + wall_offset;
        long long got = (long long)t.tv_sec * SEC + t.tv_nsec;
        CHECK(llabs(got - want) < 2 * SEC, "GET_TIME(RTC) = %lld, instance wall clock is %lld", got, want);
    } else {
        CHECK(r == -EOPNOTSUPP, "FUSE GET_TIME(RTC): %d, want -EOPNOTSUPP (%d)", r, -EOPNOTSUPP);
    }
    CHECK(io(ro, ALARM_GET_TIME(7), &t) == -EINVAL, "GET_TIME(type 7) on a read-only fd: want EINVAL first");
    struct alarm_ts s = ts_of(type_now(ALARM_RTC) + SEC);
    CHECK(io(ro, ALARM_SET(ALARM_RTC), &s) == -EPERM, "SET on a read-only fd: want EPERM");
    CHECK(io(ro, ALARM_CLEAR(ALARM_RTC), NULL) == -EPERM, "CLEAR on a read-only fd: want EPERM");
    CHECK(io(ro, ALARM_WAIT, NULL) == -EPERM, "WAIT on a read-only fd: want EPERM");
    CHECK(io(ro, ALARM_SET_RTC, &s) == -EPERM, "SET_RTC on a read-only fd: want EPERM");
    close(ro);
    return 0;
}

static int t_get_time_every_type(void) {
    if (!cuse) {
        /* FUSE cannot carry GET_TIME's result: every valid type fails the same documented way. */
        int ro = open_node(O_RDONLY);
        CHECK(ro >= 0, "open failed");
        for (int type = 0; type < ALARM_TYPE_COUNT; type++) {
            struct alarm_ts t;
            CHECK(io(ro, ALARM_GET_TIME(type), &t) == -EOPNOTSUPP, "FUSE GET_TIME(%d): want EOPNOTSUPP", type);
        }
        close(ro);
        return 0;
    }
    int ro = open_node(O_RDONLY);
    CHECK(ro >= 0, "open failed");
    for (int type = 0; type < ALARM_TYPE_COUNT; type++) {
        struct alarm_ts t = { -1, -1 };
        CHECK(io(ro, ALARM_GET_TIME(type), &t) == 0, "GET_TIME(%d) failed", type);
        long long got = (long long)t.tv_sec * SEC + t.tv_nsec;
        long long want = type_now(type);
        CHECK(t.tv_nsec >= 0 && t.tv_nsec < SEC, "GET_TIME(%d) tv_nsec %ld out of range", type, t.tv_nsec);
        CHECK(llabs(got - want) < SEC, "GET_TIME(%d) = %lld, this process's clock says %lld", type, got, want);
    }
    /* NULL pointer: the kernel's copy-out faults */
    CHECK(io(ro, ALARM_GET_TIME(ALARM_RTC), NULL) == -EFAULT, "GET_TIME(NULL): want EFAULT");
    close(ro);
    return 0;
}

static int t_ownership_two_processes(void) {
    int a = open_node(O_RDWR);
    CHECK(a >= 0, "open failed");
    CHECK(io(a, ALARM_CLEAR(ALARM_RTC), NULL) == 0, "first CLEAR should make fd A the owner");
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        int code = 0;
        int b = open_node(O_RDWR);
        struct alarm_ts t = ts_of(type_now(ALARM_RTC) + 10 * SEC);
        if (io(b, ALARM_SET(ALARM_RTC), &t) != -EBUSY) code |= 1;
        if (io(b, ALARM_CLEAR(ALARM_RTC), NULL) != -EBUSY) code |= 2;
        if (io(b, ALARM_WAIT, NULL) != -EBUSY) code |= 4;
        /* the inherited fd is the same open file: it owns */
        if (io(a, ALARM_CLEAR(ALARM_RTC), NULL) != 0) code |= 8;
        close(b);
        _exit(code);
    }
    close(p[0]);
    close(p[1]);
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st), "child died");
    CHECK(WEXITSTATUS(st) == 0, "second process: failures %#x (1 SET, 2 CLEAR, 4 WAIT not EBUSY; 8 inherited fd not owner)",
          WEXITSTATUS(st));
    close(a);
    /* the owner closed: another process can own now */
    child = fork();
    if (child == 0) {
        int b = open_node(O_RDWR);
        int r = io(b, ALARM_CLEAR(ALARM_RTC), NULL);
        close(b);
        _exit(r == 0 ? 0 : 1);
    }
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "after the owner closed, a new process's CLEAR was refused");
    return 0;
}

static int t_set_wait_every_type(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open failed");
    for (int type = 0; type < ALARM_TYPE_COUNT; type++) {
        long long t0 = type_now(type);
        struct alarm_ts t = ts_of(t0 + 150 * MS);
        CHECK(io(fd, ALARM_SET(type), &t) == 0, "SET(%d) failed", type);
        int r = wait_alarms(fd);
        long long t1 = type_now(type);
        CHECK(r == ALARM_MASK(type), "WAIT after SET(%d): %#x, want %#x", type, r, ALARM_MASK(type));
        CHECK(t1 - t0 >= 140 * MS, "type %d fired early: after %lld ms of its own clock", type, (t1 - t0) / MS);
        CHECK(t1 - t0 < 3 * SEC, "type %d fired late: after %lld ms", type, (t1 - t0) / MS);
    }
    /* CLEAR disarms: a cleared alarm never shows up */
    for (int type = 0; type < ALARM_TYPE_COUNT; type++) {
        CHECK(set_in(fd, type, 100 * MS) == 0, "SET(%d)", type);
        CHECK(io(fd, ALARM_CLEAR(type), NULL) == 0, "CLEAR(%d)", type);
    }
    CHECK(set_in(fd, ALARM_SYSTEMTIME, 300 * MS) == 0, "SET(SYSTEMTIME)");
    int r = wait_alarms(fd);
    CHECK(r == ALARM_MASK(ALARM_SYSTEMTIME), "after clearing every type, WAIT returned %#x, want only SYSTEMTIME", r);
    /* SET_AND_WAIT */
    long long m0 = mono();
    struct alarm_ts t = ts_of(type_now(ALARM_ELAPSED_REALTIME) + 100 * MS);
    r = forgive_host_steps(io(fd, ALARM_SET_AND_WAIT(ALARM_ELAPSED_REALTIME), &t));
    if (r == 0) {
        r = wait_alarms(fd); /* only a host step's time change came: the alarm is still armed */
    }
    CHECK(r == ALARM_MASK(ALARM_ELAPSED_REALTIME), "SET_AND_WAIT returned %#x", r);
    CHECK(mono() - m0 >= 90 * MS, "SET_AND_WAIT returned early");
    close(fd);
    return 0;
}

static int t_coalesced(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open failed");
    long long due = mono() + 200 * MS;
    CHECK(set_in(fd, ALARM_RTC, 200 * MS) == 0 && set_in(fd, ALARM_ELAPSED_REALTIME_WAKEUP, 200 * MS) == 0
              && set_in(fd, ALARM_SYSTEMTIME, 200 * MS) == 0, "SET failed");
    /* nobody waits while they fire: then one WAIT fetches all of them at once */
    struct timespec until = { (time_t)((due + 300 * MS) / SEC), (long)((due + 300 * MS) % SEC) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
    }
    long long w0 = mono();
    int r = wait_alarms(fd);
    int want = ALARM_MASK(ALARM_RTC) | ALARM_MASK(ALARM_ELAPSED_REALTIME_WAKEUP) | ALARM_MASK(ALARM_SYSTEMTIME);
    CHECK(r == want, "one WAIT should return the three fired types %#x, got %#x", want, r);
    CHECK(mono() - w0 < 500 * MS, "WAIT with events pending should not block");
    close(fd);
    return 0;
}

struct waiter {
    int fd;
    int masks[16];
    int n;
    int done;
};
static volatile int waiters_stop;

static void *waiter_main(void *arg) {
    struct waiter *w = arg;
    while (!waiters_stop) {
        int r = forgive_host_steps(io(w->fd, ALARM_WAIT, NULL));
        if (r == 0) {
            continue;
        }
        if (r > 0 && w->n < 16) {
            w->masks[w->n++] = r;
        } else if (r < 0) {
            break;
        }
    }
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int t_wait_several_threads(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open failed");
    CHECK(io(fd, ALARM_CLEAR(ALARM_RTC), NULL) == 0, "CLEAR");
    enum { N = 3 };
    struct waiter w[N];
    pthread_t th[N];
    waiters_stop = 0;
    for (int i = 0; i < N; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].fd = fd;
        pthread_create(&th[i], NULL, waiter_main, &w[i]);
    }
    int types[3] = { ALARM_RTC, ALARM_ELAPSED_REALTIME, ALARM_SYSTEMTIME };
    for (int i = 0; i < 3; i++) {
        CHECK(set_in(fd, types[i], (150 + 150 * i) * MS) == 0, "SET(%d)", types[i]);
    }
    int want = ALARM_MASK(ALARM_RTC) | ALARM_MASK(ALARM_ELAPSED_REALTIME) | ALARM_MASK(ALARM_SYSTEMTIME);
    long long deadline = mono() + 5 * SEC;
    int seen = 0, dup = 0;
    while (mono() < deadline) {
        seen = 0;
        dup = 0;
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < __atomic_load_n(&w[i].n, __ATOMIC_SEQ_CST); k++) {
                dup |= seen & w[i].masks[k];
                seen |= w[i].masks[k];
            }
        }
        if ((seen & want) == want) {
            break;
        }
        sleep_ns(5 * MS);
    }
    /* release the threads still blocked: each past-time SET fires at once and wakes one waiter */
    waiters_stop = 1;
    for (int round = 0; round < 200; round++) {
        int all = 1;
        for (int i = 0; i < N; i++) {
            all &= __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
        }
        if (all) {
            break;
        }
        struct alarm_ts past = { 1, 0 };
        io(fd, ALARM_SET(ALARM_RTC_WAKEUP), &past);
        sleep_ns(10 * MS);
    }
    for (int i = 0; i < N; i++) {
        CHECK(__atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST), "waiter thread %d never returned", i);
        pthread_join(th[i], NULL);
    }
    CHECK((seen & want) == want, "threads collected %#x, want %#x", seen, want);
    CHECK((dup & want) == 0, "an event was delivered twice (%#x)", dup);
    drain(fd);
    close(fd);
    return 0;
}

static int t_time_change(void) {
    int owner = open_node(O_RDWR);
    int setter = open_node(O_RDWR);
    CHECK(owner >= 0 && setter >= 0, "open failed");
    CHECK(io(owner, ALARM_CLEAR(ALARM_RTC), NULL) == 0, "owner CLEAR");
    long long saved = wall_offset;
    struct alarm_ts t = ts_of(clock_ns(CLOCK_REALTIME) + saved + 3600 * SEC);
    CHECK(io(setter, ALARM_SET_RTC, &t) == 0, "SET_RTC from a second fd failed");
    wall_offset = saved + 3600 * SEC;
    CHECK(io(setter, ALARM_CLEAR(ALARM_RTC), NULL) == -EBUSY, "SET_RTC must not make the second fd the owner");
    int r = io(owner, ALARM_WAIT, NULL);
    CHECK(r == ALARM_TIME_CHANGE_MASK, "owner WAIT after SET_RTC: %#x, want TIME_CHANGE %#x", r, ALARM_TIME_CHANGE_MASK);
    if (cuse) {
        struct alarm_ts g;
        CHECK(io(setter, ALARM_GET_TIME(ALARM_RTC_WAKEUP), &g) == 0, "GET_TIME");
        long long got = (long long)g.tv_sec * SEC + g.tv_nsec;
        CHECK(llabs(got - (clock_ns(CLOCK_REALTIME) + wall_offset)) < 2 * SEC, "GET_TIME after SET_RTC is off");
    }
    /* an RTC alarm follows the new wall clock */
    CHECK(set_in(owner, ALARM_RTC, 150 * MS) == 0, "SET(RTC) on the new clock");
    long long m0 = mono();
    r = wait_alarms(owner);
    CHECK(r == ALARM_MASK(ALARM_RTC), "WAIT: %#x", r);
    CHECK(mono() - m0 < 2 * SEC && mono() - m0 >= 100 * MS, "RTC alarm on the new wall clock fired after %lld ms",
          (mono() - m0) / MS);
    /* restore the wall clock */
    t = ts_of(clock_ns(CLOCK_REALTIME) + saved);
    CHECK(io(setter, ALARM_SET_RTC, &t) == 0, "restoring SET_RTC");
    wall_offset = saved;
    CHECK(io(owner, ALARM_WAIT, NULL) == ALARM_TIME_CHANGE_MASK, "TIME_CHANGE after restoring");
    close(setter);
    close(owner);
    return 0;
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) {
    (void)sig;
    handled++;
}

struct blocked {
    int fd;
    int result;
    int host_steps; /* WAITs that ended with only a host step's time change, and were repeated */
    long long returned_at;
    pid_t tid;
    volatile int started;
};

static void *blocked_wait_main(void *arg) {
    struct blocked *b = arg;
    b->tid = (pid_t)syscall(SYS_gettid);
    __atomic_store_n(&b->started, 1, __ATOMIC_SEQ_CST);
    b->result = wait_alarms_noting(b->fd, &b->host_steps, NULL); /* read after pthread_join */
    b->returned_at = mono();
    return NULL;
}

static int signal_case(int restart) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open failed");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    handled = 0;
    long long due = mono() + 800 * MS;
    CHECK(set_in(fd, ALARM_SYSTEMTIME, 800 * MS) == 0, "SET");
    struct blocked b;
    memset(&b, 0, sizeof b);
    b.fd = fd;
    pthread_t th;
    pthread_create(&th, NULL, blocked_wait_main, &b);
    while (!__atomic_load_n(&b.started, __ATOMIC_SEQ_CST)) {
        sleep_ns(1 * MS);
    }
    CHECK(wait_blocked_in_ioctl(getpid(), b.tid), "the WAIT thread never blocked in ioctl");
    long long signalled = mono();
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    signal(SIGUSR1, SIG_DFL);
    CHECK(handled == 1, "the handler ran %d times, want 1", (int)handled);
    if (!restart && b.result != -EINTR && b.host_steps > 0) {
        /* a host step ended the WAIT between the check that it blocked and the signal: not this test's subject */
        close(fd);
        return RETRY;
    }
    if (restart) {
        CHECK(b.result == ALARM_MASK(ALARM_SYSTEMTIME), "with SA_RESTART the WAIT should be restarted and return the"
              " alarm, got %d", b.result);
        CHECK(b.returned_at >= due - 5 * MS, "restarted WAIT returned before the alarm");
    } else {
        CHECK(b.result == -EINTR, "without SA_RESTART WAIT should fail with EINTR, got %d", b.result);
        CHECK(b.returned_at - signalled < 500 * MS, "EINTR came %lld ms after the signal", (b.returned_at - signalled) / MS);
        CHECK(b.returned_at < due, "EINTR came only after the alarm time");
        /* the alarm stays armed */
        int r = wait_alarms(fd);
        CHECK(r == ALARM_MASK(ALARM_SYSTEMTIME), "after EINTR the alarm should still fire, WAIT gave %d", r);
        CHECK(mono() >= due - 5 * MS, "the alarm fired early after EINTR");
    }
    close(fd);
    return 0;
}

static int t_signal_sa_restart(void) { return signal_case(1); }
static int t_signal_eintr(void) { return signal_case(0); }

static int t_owner_killed_while_blocked(void) {
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        int fd = open_node(O_RDWR);
        if (fd < 0 || set_in(fd, ALARM_RTC, 500 * MS) != 0 || set_in(fd, ALARM_ELAPSED_REALTIME, 600 * MS) != 0) {
            _exit(1);
        }
        if (write(p[1], "x", 1) != 1) {
            _exit(1);
        }
        while (io(fd, ALARM_WAIT, NULL) == ALARM_TIME_CHANGE_MASK) {
            /* a host clock step: block again (the parent judges only where it was killed) */
        }
        _exit(2); /* never: killed while blocked */
    }
    close(p[1]);
    char c;
    CHECK(read(p[0], &c, 1) == 1, "child could not arm its alarms");
    close(p[0]);
    CHECK(wait_blocked_in_ioctl(child, child), "child never blocked in WAIT");
    long long k0 = mono();
    kill(child, SIGKILL);
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child did not die of SIGKILL");
    CHECK(mono() - k0 < 2 * SEC, "the killed owner took %lld ms to die (stuck in the kernel?)", (mono() - k0) / MS);
    /* its release closed its handle: a new process owns at once, and the dead owner's alarms are gone */
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open");
    long long m0 = mono();
    int r = set_in(fd, ALARM_SYSTEMTIME, 900 * MS);
    CHECK(r == 0, "SET after the owner was killed: %d (want 0: its release must end its ownership)", r);
    r = wait_alarms(fd);
    CHECK(r == ALARM_MASK(ALARM_SYSTEMTIME), "WAIT returned %#x: the killed owner's RTC/ELAPSED alarms must be"
          " cancelled (want only %#x)", r, ALARM_MASK(ALARM_SYSTEMTIME));
    CHECK(mono() - m0 >= 850 * MS, "WAIT returned early");
    close(fd);
    return 0;
}

static int t_unknown_ioctls(void) {
    int ro = open_node(O_RDONLY);
    CHECK(ro >= 0, "open");
    char buf[64] = { 0 };
    /* the driver checks the type nibble, then EPERM for everything but GET_TIME on a read-only fd */
    CHECK(io(ro, 0x5401 /* TCGETS */, buf) == -EPERM, "TCGETS on a read-only fd: want EPERM");
    CHECK(io(ro, _IOR('x', 0x70, int), buf) == -EINVAL, "type nibble 7: want EINVAL");
    close(ro);
    int a = open_node(O_RDWR);
    int b = open_node(O_RDWR);
    CHECK(a >= 0 && b >= 0, "open");
    /* quirk 2: an unknown command claims ownership, then fails with EINVAL */
    CHECK(io(a, 0x5401, buf) == -EINVAL, "TCGETS on a writable fd: want EINVAL");
    CHECK(io(b, ALARM_CLEAR(ALARM_RTC), NULL) == -EBUSY, "the unknown ioctl should have made fd A the owner");
    CHECK(io(a, _IOR('a', 2, struct alarm_ts), buf) == -EINVAL, "SET's NR with the read direction: want EINVAL");
    CHECK(io(a, _IO('a', 6), NULL) == -EINVAL, "NR 6: want EINVAL");
    close(a);
    close(b);
    return 0;
}

static int t_bad_sizes(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open");
    char buf[64] = { 0 };
    CHECK(io(fd, _IOW('a', 2, char[12]), buf) == -EINVAL, "SET with a 12-byte size: want EINVAL");
    CHECK(io(fd, _IOW('a', 5, char[4]), buf) == -EINVAL, "SET_RTC with a 4-byte size: want EINVAL");
    CHECK(io(fd, ALARM_SET(ALARM_RTC), NULL) == -EFAULT, "SET with a NULL pointer: want EFAULT");
    CHECK(io(fd, ALARM_SET_RTC, (void *)8) == -EFAULT, "SET_RTC with a bad pointer: want EFAULT");
    if (sizeof(long) == 8) {
        CHECK(io(fd, ALARM_SET_32(ALARM_RTC), buf) == -EINVAL, "the compat SET number from a 64-bit process: want EINVAL");
    } else {
        /* quirk 9: the 64-bit-sized number through the compat entry */
        CHECK(io(fd, ALARM_SET_64(ALARM_RTC), buf) == -EINVAL, "the 64-bit SET number from a 32-bit process: want EINVAL");
    }
    close(fd);
    return 0;
}

static int t_types_5_to_15(void) {
    int ro = open_node(O_RDONLY);
    int fd = open_node(O_RDWR);
    CHECK(ro >= 0 && fd >= 0, "open");
    struct alarm_ts t = ts_of(type_now(0) + SEC);
    for (int type = 5; type < 16; type++) {
        CHECK(io(fd, ALARM_SET(type), &t) == -EINVAL, "SET(%d): want EINVAL", type);
        CHECK(io(fd, ALARM_CLEAR(type), NULL) == -EINVAL, "CLEAR(%d): want EINVAL", type);
        CHECK(io(fd, ALARM_GET_TIME(type), &t) == -EINVAL, "GET_TIME(%d): want EINVAL", type);
        CHECK(io(fd, ALARM_SET_AND_WAIT(type), &t) == -EINVAL, "SET_AND_WAIT(%d): want EINVAL", type);
        CHECK(io(fd, _IO('a', 1 | (type << 4)), NULL) == -EINVAL, "WAIT with type %d: want EINVAL", type);
        CHECK(io(ro, ALARM_SET(type), &t) == -EINVAL, "SET(%d) on read-only: the type check comes before EPERM", type);
    }
    close(ro);
    close(fd);
    return 0;
}

static int t_absurd_times(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open");
    struct alarm_ts neg = { -5, 0 };
    CHECK(io(fd, ALARM_SET(ALARM_RTC), &neg) == 0, "SET to a negative time is accepted by the driver");
    long long m0 = mono();
    CHECK(wait_alarms(fd) == ALARM_MASK(ALARM_RTC), "a negative time fires at once");
    struct alarm_ts odd = { 5, -1 };
    CHECK(io(fd, ALARM_SET(ALARM_SYSTEMTIME), &odd) == 0, "tv_nsec -1 is not validated");
    CHECK(wait_alarms(fd) == ALARM_MASK(ALARM_SYSTEMTIME), "(5 s, -1 ns) is long past");
    CHECK(mono() - m0 < SEC, "past alarms should fire at once");
    struct alarm_ts far = { LONG_MAX, 999999999 };
    CHECK(io(fd, ALARM_SET(ALARM_ELAPSED_REALTIME), &far) == 0, "SET to the end of time");
    struct alarm_ts bad1 = { -1, 0 }, bad2 = { 0, 2000000000L };
    CHECK(io(fd, ALARM_SET_RTC, &bad1) == -EINVAL, "SET_RTC(-1 s): want EINVAL");
    CHECK(io(fd, ALARM_SET_RTC, &bad2) == -EINVAL, "SET_RTC(tv_nsec 2e9): want EINVAL");
    /* nothing changed: no TIME_CHANGE, the far alarm does not fire */
    CHECK(set_in(fd, ALARM_SYSTEMTIME, 150 * MS) == 0, "SET");
    int r = wait_alarms(fd);
    CHECK(r == ALARM_MASK(ALARM_SYSTEMTIME), "refused SET_RTCs changed something: WAIT %#x", r);
    CHECK(io(fd, ALARM_CLEAR(ALARM_ELAPSED_REALTIME), NULL) == 0, "CLEAR");
    close(fd);
    return 0;
}

static int t_read_write_poll(void) {
    int fd = open_node(O_RDWR);
    CHECK(fd >= 0, "open");
    char buf[16];
    errno = 0;
    CHECK(read(fd, buf, sizeof buf) == -1 && errno == EINVAL, "read: want EINVAL (the driver has no read), got %s",
          strerror(errno));
    errno = 0;
    CHECK(write(fd, buf, sizeof buf) == -1 && errno == EINVAL, "write: want EINVAL, got %s", strerror(errno));
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    long long m0 = mono();
    int n = poll(&p, 1, 2000);
    CHECK(n == 1 && (p.revents & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT),
          "poll: want readable and writable at once (DEFAULT_POLLMASK), got n=%d revents=%#x", n, p.revents);
    CHECK(mono() - m0 < SEC, "poll should not block");
    close(fd);
    return 0;
}

/* ---------------------------------------------------------------- stop tests */

/* K processes block in WAIT on one owner fd; each prints how and when its WAIT ended. */
static int hold_wait(int k) {
    int fd = open_node(O_RDWR);
    if (fd < 0 || io(fd, ALARM_CLEAR(ALARM_RTC), NULL) != 0) {
        printf("hold: cannot own %s\n", node);
        return 1;
    }
    int parent = 1;
    for (int i = 1; i < k; i++) {
        if (fork() == 0) {
            parent = 0;
            break;
        }
    }
    printf("blocking pid=%d\n", (int)getpid());
    fflush(stdout);
    /* As wait_alarms, noting when a host step's time change made it WAIT again: that WAIT may meet the stop
     * before the bridge has it in its table, and then the kernel ends it (ECONNABORTED), not the bridge. */
    long long rewaited = -1;
    int r = wait_alarms_noting(fd, NULL, &rewaited);
    /* CLOCK_MONOTONIC, the clock of Java's System.nanoTime on Linux */
    printf("returned pid=%d result=%d errno_name=%s at_ns=%lld rewaited_at_ns=%lld\n", (int)getpid(), r,
           r < 0 ? strerrorname_np(-r) : "-", mono(), rewaited);
    fflush(stdout);
    int failed = r < 0 ? 0 : 1;
    if (parent) {
        /*
         * The parent exits only after every child: when the process Java started exits, Java drains
         * and closes the pipe, so a child printing after that would lose its line (and die of SIGPIPE).
         */
        int st;
        while (waitpid(-1, &st, 0) > 0) {
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                failed = 1;
            }
        }
    }
    return failed;
}

/* ---------------------------------------------------------------- main */

struct test {
    const char *name;
    int (*fn)(void);
};

static const struct test tests[] = {
    { "numbers", t_numbers },
    { "read_only", t_read_only },
    { "get_time_every_type", t_get_time_every_type },
    { "ownership_two_processes", t_ownership_two_processes },
    { "set_wait_every_type", t_set_wait_every_type },
    { "coalesced", t_coalesced },
    { "wait_several_threads", t_wait_several_threads },
    { "time_change", t_time_change },
    { "signal_sa_restart", t_signal_sa_restart },
    { "signal_eintr", t_signal_eintr },
    { "owner_killed_while_blocked", t_owner_killed_while_blocked },
    { "unknown_ioctls", t_unknown_ioctls },
    { "bad_sizes", t_bad_sizes },
    { "types_5_to_15", t_types_5_to_15 },
    { "absurd_times", t_absurd_times },
    { "read_write_poll", t_read_write_poll },
};

static unsigned watchdog = 15;

static void on_alarm(int sig) {
    (void)sig;
    char msg[256];
    int n = snprintf(msg, sizeof msg, "not ok - %s: hung (watchdog: no answer within %u s)\n", current_test, watchdog);
    if (write(1, msg, (size_t)n) < 0) {
    }
    _exit(3);
}

/*
 * A time-change bit raised before this run (a host clock step before this process could watch, an
 * earlier client's SET_RTC) is still pending on the instance, for whichever WAIT comes first: collect
 * it now, with an alarm in the past, so that no test takes it for its own. Says so when there was one.
 */
static void collect_earlier_time_change(void) {
    int fd = open_node(O_RDWR);
    if (fd < 0) {
        return;
    }
    struct alarm_ts past = { 1, 0 };
    if (io(fd, ALARM_SET(ALARM_SYSTEMTIME), &past) == 0) {
        int r = io(fd, ALARM_WAIT, NULL);
        if (r > 0 && (r & ALARM_TIME_CHANGE_MASK)) {
            printf("# a time-change bit raised before this run was pending (collected before the tests)\n");
        }
    }
    close(fd);
}

/* Which of descriptors 0-255 are open, so that what a test left open can be closed after it. */
static void mark_open_fds(char open_fds[256]) {
    for (int fd = 0; fd < 256; fd++) {
        open_fds[fd] = fcntl(fd, F_GETFD) != -1;
    }
}

static void close_fds_opened_since(const char open_fds[256]) {
    for (int fd = 0; fd < 256; fd++) {
        if (!open_fds[fd] && fd != steps_fd && fcntl(fd, F_GETFD) != -1) {
            close(fd);
        }
    }
}

static int selected(const char *only, const char *name) {
    if (!only) {
        return 1;
    }
    size_t len = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += len) {
        if ((p == only || p[-1] == ',') && (p[len] == 0 || p[len] == ',')) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *only = NULL;
    int hold = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--node") && i + 1 < argc) {
            node = argv[++i];
        } else if (!strcmp(argv[i], "--transport") && i + 1 < argc) {
            cuse = !strcmp(argv[++i], "cuse");
        } else if (!strcmp(argv[i], "--wall-offset-ns") && i + 1 < argc) {
            wall_offset = strtoll(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--watchdog") && i + 1 < argc) {
            watchdog = (unsigned)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--hold-wait") && i + 1 < argc) {
            hold = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s --node PATH --transport cuse|fuse [--wall-offset-ns N] [--only a,b]\n"
                            "       %s --node PATH --hold-wait K\n", argv[0], argv[0]);
            return 2;
        }
    }
    if (!node) {
        fprintf(stderr, "--node is required\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    steps_open();
    if (hold > 0) {
        collect_earlier_time_change();
        return hold_wait(hold);
    }
    signal(SIGALRM, on_alarm);
    printf("# %s, %s, %d-bit, wall offset %lld ns\n", node, cuse ? "cuse" : "fuse", (int)(8 * sizeof(long)), wall_offset);
    current_test = "collect_earlier_time_change";
    alarm(watchdog);
    collect_earlier_time_change();
    alarm(0);
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (!selected(only, tests[i].name)) {
            continue;
        }
        current_test = tests[i].name;
        int r = RETRY, tries = 0;
        while (r == RETRY && tries++ <= RETRIES) {
            failure[0] = 0;
            char open_before[256];
            mark_open_fds(open_before);
            alarm(watchdog);
            r = tests[i].fn();
            alarm(0);
            close_fds_opened_since(open_before); /* a failed test's descriptors must not own the next test's device */
        }
        if (r == RETRY) {
            printf("not ok - %s: disturbed by host clock steps %d times in a row\n", tests[i].name, RETRIES + 1);
            failed++;
        } else if (r == 0) {
            if (tries > 1) {
                printf("ok - %s (run %d times: host clock steps disturbed it)\n", tests[i].name, tries);
            } else {
                printf("ok - %s\n", tests[i].name);
            }
            passed++;
        } else {
            printf("not ok - %s: %s\n", tests[i].name, failure);
            failed++;
        }
    }
    if (steps_seen > 0) {
        printf("# host clock steps: seen %ld times, %ld time-change bits forgiven for them\n", steps_seen,
               steps_forgiven);
    }
    printf("# %d ok, %d not ok\n", passed, failed);
    return failed ? 1 : 0;
}
