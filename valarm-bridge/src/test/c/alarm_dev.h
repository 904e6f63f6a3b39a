/*
 * The Android alarm driver's user-space ABI, written for valarm's conformance client from
 * the specification (alarm-dev.md section 2), not copied from any kernel header.
 *
 * struct alarm_ts is the caller's own struct timespec: two longs, 16 bytes in a 64-bit process,
 * 8 bytes in a 32-bit one (gcc -m32 without _TIME_BITS=64), so the numbers below come out as the
 * driver's native or compat numbers by themselves.
 */
#ifndef VALARM_ALARM_DEV_H
#define VALARM_ALARM_DEV_H

#include <sys/ioctl.h>

struct alarm_ts {
    long tv_sec;
    long tv_nsec;
};

enum alarm_type {
    ALARM_RTC_WAKEUP = 0,
    ALARM_RTC = 1,
    ALARM_ELAPSED_REALTIME_WAKEUP = 2,
    ALARM_ELAPSED_REALTIME = 3,
    ALARM_SYSTEMTIME = 4,
    ALARM_TYPE_COUNT = 5
};

#define ALARM_TIME_CHANGE_MASK 0x10000
#define ALARM_MASK(type) (1 << (type))

#define ALARM_IOW(c, type, size) _IOW('a', (c) | ((type) << 4), size)
#define ALARM_CLEAR(type)        _IO('a', 0 | ((type) << 4))
#define ALARM_WAIT               _IO('a', 1)
#define ALARM_SET(type)          ALARM_IOW(2, type, struct alarm_ts)
#define ALARM_SET_AND_WAIT(type) ALARM_IOW(3, type, struct alarm_ts)
#define ALARM_GET_TIME(type)     ALARM_IOW(4, type, struct alarm_ts)
#define ALARM_SET_RTC            _IOW('a', 5, struct alarm_ts)

/* The other ABI's numbers, for the checks that a process issuing the wrong size is refused. */
#define ALARM_SET_64(type)       (0x40106102u + 0x10u * (unsigned)(type))
#define ALARM_SET_32(type)       (0x40086102u + 0x10u * (unsigned)(type))

#endif
