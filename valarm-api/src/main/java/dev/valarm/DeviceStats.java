package dev.valarm;

/**
 * A snapshot of a device's counters: its health view.
 *
 * <p>Thread-safety: immutable.
 *
 * @param instances live instances
 * @param armedAlarms alarms armed over all instances
 * @param alarmsSet SET calls accepted
 * @param alarmsFired alarms that fired (moved from enabled to pending)
 * @param lateDeliveries alarms that fired more than the device's lateness threshold after their time
 * @param hardwareWrites wake alarms programmed into the RTC backend
 * @param hardwareCancels wake alarms cancelled in the RTC backend
 * @param hardwareWakes wake alarms the backend reported firing
 * @param backendFaults backend calls that failed
 * @param backendRetries backend calls retried after a failure
 * @param clockChanges host clock changes seen
 * @param missedWakeInterrupts programmed wake alarms whose time passed without the backend reporting them
 *        firing within a grace period (a lost or very late interrupt); the device re-arms the hardware
 *        when the time passes, so no alarm is lost, but a suspend in between could overrun
 */
public record DeviceStats(
        int instances,
        int armedAlarms,
        long alarmsSet,
        long alarmsFired,
        long lateDeliveries,
        long hardwareWrites,
        long hardwareCancels,
        long hardwareWakes,
        long backendFaults,
        long backendRetries,
        long clockChanges,
        long missedWakeInterrupts) {
}
