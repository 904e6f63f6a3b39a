package dev.valarm.cli;

import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.impl.sim.SimulatedRtc;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Draws a {@link TimelineScenario.Result} as a standalone SVG: one lane per instance (a row per alarm
 * type, with each alarm's time or window, its delivery and the lateness between them, labelled with the
 * instance's own wall clock), one lane for the hardware RTC (each programming with the alarm time it
 * set, each cancel, each wake), and the suspended stretches shaded across all lanes. Every mark has a
 * tooltip. Stateless.
 */
final class SvgTimeline {
    static final String SVG_NS = "http://www.w3.org/2000/svg";

    private static final int WIDTH = 1200;
    private static final int LEFT = 200;
    private static final int RIGHT = 30;
    private static final int TOP = 78;
    private static final int ROW = 15;
    private static final int LANE_HEAD = 22;
    private static final int LANE_GAP = 8;
    private static final int RTC_LANE = 74;
    private static final int AXIS = 44;
    private static final String[] COLORS = {"#d62728", "#1f77b4", "#ff7f0e", "#17becf", "#2ca02c"};
    private static final AlarmType[] ROWS = {AlarmType.RTC_WAKEUP, AlarmType.RTC, AlarmType.ELAPSED_REALTIME_WAKEUP,
        AlarmType.ELAPSED_REALTIME, AlarmType.SYSTEMTIME};
    private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HMS_MS = DateTimeFormatter.ofPattern("HH:mm:ss.S", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private SvgTimeline() {
    }

    static String render(final TimelineScenario.Result r) {
        final int lanes = r.lanes().size();
        final int laneH = LANE_HEAD + ROWS.length * ROW + LANE_GAP;
        final int rtcTop = TOP + lanes * laneH;
        final int height = rtcTop + RTC_LANE + AXIS;
        final double plotW = WIDTH - LEFT - RIGHT;
        final long span = Math.max(1, r.endX());
        final Scale x = ns -> LEFT + plotW * Math.max(0, Math.min(ns, span)) / span;
        final StringBuilder s = new StringBuilder(64 * 1024);
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append("<svg xmlns=\"").append(SVG_NS).append("\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\">\n");
        s.append("<title>valarm timeline</title>\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        text(s, 12, 22, "valarm timeline: " + lanes + " instances on simulated clocks (the demo scenario)"
                + (r.windowNanos() > 0 ? String.format(Locale.ROOT, ", wakeup windows %.1f s", r.windowNanos() / 1e9) : ""),
                "font-size=\"16\" font-weight=\"bold\"");
        text(s, 12, 40, "x axis: host boot time since the start (counts suspend). Each lane is labelled with its own"
                + " wall clock; the RTC lane shows every programming of the one hardware wake alarm and every wake.", "fill=\"#444\"");
        legend(s, 12, 60);

        // Suspended stretches, behind everything.
        for (final TimelineScenario.Span sp : r.suspended()) {
            final double x0 = x.at(sp.fromX());
            final double x1 = x.at(sp.toX());
            s.append(String.format(Locale.ROOT, "<rect class=\"suspended\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\""
                    + " fill=\"#dfe9f5\"><title>suspended %.3f s .. %.3f s (%s)</title></rect>\n", x0, TOP - 4,
                    Math.max(1, x1 - x0), rtcTop + RTC_LANE - TOP + 4, sp.fromX() / 1e9, sp.toX() / 1e9, sp.result()));
            text(s, x0 + 3, rtcTop + RTC_LANE - 6, "suspended", "fill=\"#5b7fa8\" font-size=\"10\"");
        }
        // Time grid.
        final long step = tickStep(span);
        for (long t = 0; t <= span; t += step) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e3e3e3\"/>\n",
                    x.at(t), TOP - 4, x.at(t), rtcTop + RTC_LANE));
            text(s, x.at(t), rtcTop + RTC_LANE + 16, String.format(Locale.ROOT, "+%.1f s", t / 1e9),
                    "text-anchor=\"middle\" fill=\"#333\"");
        }
        text(s, LEFT + plotW / 2, rtcTop + RTC_LANE + 34, "host boot time since the start", "text-anchor=\"middle\" fill=\"#333\"");
        // Wakes across every lane.
        for (final long w : r.wakes()) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\""
                    + " stroke-opacity=\"0.35\" stroke-dasharray=\"2,3\"/>\n", x.at(w), TOP - 4, x.at(w), rtcTop));
        }

        for (int i = 0; i < lanes; i++) {
            lane(s, r, i, TOP + i * laneH, laneH, x, step);
        }
        rtcLane(s, r, rtcTop, x);
        s.append("</svg>\n");
        return s.toString();
    }

    private static void lane(final StringBuilder s, final TimelineScenario.Result r, final int i, final int top,
            final int laneH, final Scale x, final long step) {
        final TimelineScenario.Lane lane = r.lanes().get(i);
        s.append(String.format(Locale.ROOT, "<g class=\"lane\" id=\"lane-%d\">\n", i));
        s.append(String.format(Locale.ROOT, "<rect x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.5\""
                + " stroke=\"#cccccc\"/>\n", top - 2, WIDTH - 8, laneH - LANE_GAP + 2, i % 2 == 0 ? "#f7f7f7" : "#fdfdfd"));
        final long startWall = TimelineScenario.HOST_START.getEpochSecond() * 1_000_000_000L + lane.wallClockOffsetNanos();
        text(s, 10, top + 14, lane.name(), "font-weight=\"bold\" font-size=\"13\"");
        text(s, 90, top + 14, "wall clock " + DATE.format(instant(startWall)), "fill=\"#555\" font-size=\"10\"");
        // The instance's own wall clock along the top of its lane.
        for (long t = step; t <= r.endX(); t += step) {
            text(s, x.at(t), top + 14, (step % 1_000_000_000L == 0 ? HMS : HMS_MS).format(instant(startWall + t)),
                    "text-anchor=\"middle\" fill=\"#777\" font-size=\"9\"");
        }
        for (int row = 0; row < ROWS.length; row++) {
            final int y = top + LANE_HEAD + row * ROW + ROW / 2;
            text(s, 18, y + 4, ROWS[row].name(), "fill=\"" + COLORS[ROWS[row].number()] + "\" font-size=\"9\"");
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eeeeee\"/>\n",
                    LEFT, y, WIDTH - RIGHT, y));
        }
        for (final TimelineScenario.Alarm a : r.alarms()) {
            if (a.lane() != i) {
                continue;
            }
            final int y = rowY(top, a.type());
            final String c = COLORS[a.type().number()];
            final String when = instanceTime(a.type(), a.instanceTime());
            if (a.window() > 0) {
                s.append(String.format(Locale.ROOT, "<rect class=\"window\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\""
                        + " fill=\"%s\" fill-opacity=\"0.25\" stroke=\"%s\"><title>%s %s: window %s + %.1f s</title></rect>\n",
                        x.at(a.startX()), y - 4, Math.max(1, x.at(a.endX()) - x.at(a.startX())), c, c, esc(lane.name()),
                        a.type(), esc(when), a.window() / 1e9));
            }
            s.append(String.format(Locale.ROOT, "<circle class=\"alarm\" cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#ffffff\""
                    + " stroke=\"%s\" stroke-width=\"1.5\"><title>%s SET %s for %s</title></circle>\n",
                    x.at(a.startX()), y, c, esc(lane.name()), a.type(), esc(when)));
        }
        for (final TimelineScenario.Delivery d : r.deliveries()) {
            if (d.lane() != i) {
                continue;
            }
            final int y = rowY(top, d.type());
            final String c = COLORS[d.type().number()];
            final double sched = x.at(d.x() - d.lateNanos());
            if (x.at(d.x()) - sched > 1) {
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                        + " stroke-width=\"1.5\"/>\n", sched, y, x.at(d.x()), y, c));
            }
            s.append(String.format(Locale.ROOT, "<circle class=\"delivery\" cx=\"%.1f\" cy=\"%d\" r=\"4.5\" fill=\"%s\">"
                    + "<title>%s FIRED %s at instance time %s (%s %.3f s)</title></circle>\n", x.at(d.x()), y, c,
                    esc(lane.name()), d.type(), esc(instanceTime(d.type(), d.instanceTime())),
                    d.lateNanos() >= 0 ? "late" : "early", Math.abs(d.lateNanos()) / 1e9));
        }
        s.append("</g>\n");
    }

    private static void rtcLane(final StringBuilder s, final TimelineScenario.Result r, final int top, final Scale x) {
        s.append("<g class=\"lane rtc\" id=\"lane-rtc\">\n");
        s.append(String.format(Locale.ROOT, "<rect x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff7f0\""
                + " fill-opacity=\"0.6\" stroke=\"#e0b080\"/>\n", top, WIDTH - 8, RTC_LANE));
        text(s, 10, top + 16, "hardware RTC", "font-weight=\"bold\" font-size=\"13\"");
        text(s, 10, top + 32, "one wake alarm, 1 s resolution", "fill=\"#555\" font-size=\"10\"");
        text(s, 10, top + 46, "\u25bc program  \u2716 cancel", "fill=\"#8c564b\" font-size=\"10\"");
        text(s, 10, top + 60, "\u26a1 wake", "fill=\"#d62728\" font-size=\"10\"");
        final int callY = top + 18;
        final int alarmY = top + 48;
        int n = 0;
        for (final TimelineScenario.RtcMark m : r.rtc()) {
            final double cx = x.at(m.x());
            if (m.op() == SimulatedRtc.Op.PROGRAM) {
                final double tx = x.at(m.targetX());
                final String at = m.argument() != null ? DATE.format(m.argument().toInstant()) : "?";
                s.append(String.format(Locale.ROOT, "<path class=\"program\" d=\"M %.1f %d l -5 -8 l 10 0 z\" fill=\"#8c564b\">"
                        + "<title>PROGRAM wake alarm at RTC %s (call #%d at +%.3f s)</title></path>\n", cx, callY, at, ++n,
                        m.x() / 1e9));
                s.append(String.format(Locale.ROOT, "<path d=\"M %.1f %d C %.1f %d, %.1f %d, %.1f %d\" fill=\"none\""
                        + " stroke=\"#8c564b\" stroke-dasharray=\"3,2\"/>\n", cx, callY, cx, alarmY - 10, tx, callY + 6, tx,
                        alarmY - 6));
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#8c564b\""
                        + " stroke-width=\"2\"><title>wake alarm set for RTC %s</title></line>\n", tx, alarmY - 6, tx,
                        alarmY + 6, at));
            } else {
                text(s, cx, callY + 4, "\u2716", "text-anchor=\"middle\" fill=\"#8c564b\" class=\"cancel\"");
            }
        }
        for (final long w : r.wakes()) {
            s.append(String.format(Locale.ROOT, "<g class=\"wake\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"#d62728\" stroke-width=\"2.5\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\""
                    + " fill=\"#d62728\">\u26a1</text><title>RTC wake at +%.3f s</title></g>\n", x.at(w), top + 4, x.at(w),
                    top + RTC_LANE - 4, x.at(w), top + 70, w / 1e9));
        }
        s.append("</g>\n");
    }

    private static void legend(final StringBuilder s, final int x0, final int y) {
        int x = x0;
        for (final AlarmType t : ROWS) {
            final String c = COLORS[t.number()];
            s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"%s\"/>\n", x + 5, y - 4, c));
            text(s, x + 13, y, t.name(), "fill=\"" + c + "\"");
            x += 14 + 7 * t.name().length() + 18;
        }
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#fff\" stroke=\"#333\"/>\n", x + 5, y - 4));
        text(s, x + 13, y, "set for", "fill=\"#333\"");
        x += 70;
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"#333\"/>\n", x + 5, y - 4));
        text(s, x + 13, y, "delivered (line: lateness)", "fill=\"#333\"");
        x += 170;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"9\" fill=\"#dfe9f5\"/>\n", x, y - 8));
        text(s, x + 18, y, "suspended", "fill=\"#333\"");
    }

    private static int rowY(final int laneTop, final AlarmType type) {
        int row = 0;
        while (ROWS[row] != type) {
            row++;
        }
        return laneTop + LANE_HEAD + row * ROW + ROW / 2;
    }

    private static String instanceTime(final AlarmType type, final long nanos) {
        if (type.clockBase() == ClockBase.REALTIME) {
            return DATE.format(instant(nanos)) + String.format(Locale.ROOT, ".%03d", Math.floorMod(nanos, 1_000_000_000L) / 1_000_000);
        }
        return String.format(Locale.ROOT, "%s %.3f s", type.clockBase().name().toLowerCase(Locale.ROOT), nanos / 1e9);
    }

    private static Instant instant(final long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    private static long tickStep(final long span) {
        final long[] steps = {100_000_000L, 250_000_000L, 500_000_000L, 1_000_000_000L, 2_000_000_000L, 5_000_000_000L,
            10_000_000_000L, 30_000_000_000L, 60_000_000_000L};
        for (final long st : steps) {
            if (span / st <= 12) {
                return st;
            }
        }
        return Math.max(1, span / 10);
    }

    private static void text(final StringBuilder s, final double x, final double y, final String text, final String attrs) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" %s>%s</text>\n", x, y, attrs, esc(text)));
    }

    static String esc(final String t) {
        final StringBuilder b = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            final char c = t.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Axis position in pixels of a time on the axis. */
    @FunctionalInterface
    private interface Scale {
        double at(long ns);
    }
}
