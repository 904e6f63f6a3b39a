package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.ValarmInstance;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A CLEAR of a non-wakeup alarm that is not its heap's head leaves a tombstone that the next SET reuses
 * (see {@code Device.disarm}); none of that may be visible.
 */
class LazyClearTest extends SimFixture {

    private AlarmHandle head;

    private AlarmHandle withEarlierHead() {
        head = device.createInstance().open(OpenMode.READ_WRITE);
        head.set(ELAPSED_REALTIME, in(head, ELAPSED_REALTIME, 1));
        head.set(RTC, in(head, RTC, 1));
        head.set(SYSTEMTIME, in(head, SYSTEMTIME, 1));
        return head;
    }

    @Test
    void aLazilyClearedAlarmNeverFires() throws Exception {
        withEarlierHead();
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 5));
        rw.clear(ELAPSED_REALTIME);
        assertEquals(3, device.stats().armedAlarms(), "the cleared alarm no longer counts as armed");
        advanceSeconds(10);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        assertEquals(ELAPSED_REALTIME.mask() | RTC.mask() | SYSTEMTIME.mask(), head.await(Duration.ZERO).mask());
        assertEquals(3, device.stats().alarmsFired());
        assertEquals(0, device.stats().armedAlarms());
    }

    @Test
    void setAfterClearFiresAtTheNewTimeOnly() throws Exception {
        withEarlierHead();
        rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 5));
        rw.clear(SYSTEMTIME);
        rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 20));
        assertEquals(4, device.stats().armedAlarms());
        advanceSeconds(10);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "not at the cleared time");
        advanceSeconds(10);
        assertEquals(SYSTEMTIME.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void clearingTwiceAndSettingAnEarlierTimeWork() throws Exception {
        withEarlierHead();
        rw.set(RTC, in(rw, RTC, 30));
        rw.clear(RTC);
        rw.clear(RTC);
        rw.set(RTC, in(rw, RTC, 0.5)); // earlier than everything: the revived entry becomes the head
        advanceSeconds(0.5);
        assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void aReusedMinorNeverInheritsAClearedAlarm() throws Exception {
        withEarlierHead();
        final ValarmInstance old = device.createInstance(InstanceConfig.builder().minor(77).build());
        final AlarmHandle h = old.open(OpenMode.READ_WRITE);
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 5));
        h.clear(ELAPSED_REALTIME);
        old.close();
        final AlarmHandle reborn = device.createInstance(InstanceConfig.builder().minor(77).build())
                .open(OpenMode.READ_WRITE);
        advanceSeconds(10);
        assertEquals(AlarmEvents.NONE, reborn.await(Duration.ZERO));
    }

    @Test
    void anOwnerCloseRemovesClearedAlarmsAndTheNextOwnerStartsClean() throws Exception {
        withEarlierHead();
        rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 5));
        rw.clear(SYSTEMTIME);
        rw.close();
        final AlarmHandle next = inst.open(OpenMode.READ_WRITE);
        next.set(SYSTEMTIME, in(next, SYSTEMTIME, 8));
        advanceSeconds(6);
        assertEquals(AlarmEvents.NONE, next.await(Duration.ZERO));
        advanceSeconds(2);
        assertEquals(SYSTEMTIME.mask(), next.await(Duration.ZERO).mask());
        assertEquals(0, device.stats().armedAlarms());
    }

    @Test
    void setRtcDoesNotReviveAClearedWallClockAlarm() throws Exception {
        withEarlierHead();
        rw.set(RTC, in(rw, RTC, 100));
        rw.clear(RTC);
        rw.setRtc(in(rw, RTC, 200)); // jumps past the cleared time
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, rw.await(Duration.ZERO).mask());
        advanceSeconds(300);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
    }
}
