package dev.valarm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./valarm timeline --out FILE.svg}: replays the demo scenario on simulated clocks and draws it as
 * an SVG timeline (see {@link TimelineScenario} and {@link SvgTimeline}).
 */
final class TimelineCommand implements Command {

    @Override
    public String name() {
        return "timeline";
    }

    @Override
    public String summary() {
        return "draw the demo scenario on simulated clocks as an SVG timeline";
    }

    @Override
    public String usage() {
        return "usage: ./valarm timeline --out FILE.svg [--instances N] [--window SECONDS]\n\n"
                + "Replays the demo scenario (N instances, B with its wall clock in another year, all five alarm\n"
                + "types armed 1 to 6 s ahead) on simulated clocks, deterministically and instantly: the machine\n"
                + "stays awake for 2 s, then suspends whenever it can, so the RTC's one wake alarm has to wake it\n"
                + "for every wakeup alarm. Writes an SVG that opens in any browser: one lane per instance (its\n"
                + "alarms, deliveries and lateness, labelled with its own wall clock) and one lane for the\n"
                + "hardware RTC (each programming, cancel and wake, from the simulated RTC's call log).\n\n"
                + "  --out FILE.svg     where to write the SVG (required; the directory must exist)\n"
                + "  --instances N      3 to 26 instances (default 3)\n"
                + "  --window SECONDS   give the wakeup alarms a tolerance window (0 to 60, default 0: exact),\n"
                + "                     to see wakes coalesced\n\n"
                + "Exit 0 when the SVG was written and every alarm was delivered, 1 otherwise, 2 for bad arguments.";
    }

    @Override
    public int run(final List<String> args, final PrintStream out, final PrintStream err) {
        final Map<String, String> options = Args.options(args, Set.of("--out", "--instances", "--window"));
        final Path outFile = options.containsKey("--out") ? parseOut(options.get("--out")) : null;
        final int instances = options.containsKey("--instances") ? Args.instances(options.get("--instances")) : 3;
        final Duration window = options.containsKey("--window") ? parseWindow(options.get("--window")) : Duration.ZERO;
        if (outFile == null) {
            throw new UsageException("--out FILE.svg is required");
        }
        final TimelineScenario.Result r;
        try {
            r = new TimelineScenario(instances, window).run();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("valarm timeline: interrupted");
            return FAILED;
        } catch (final RuntimeException e) {
            err.println("valarm timeline: FAILED: the scenario did not run: " + e);
            return FAILED;
        }
        try {
            Files.writeString(outFile, SvgTimeline.render(r), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            err.println("valarm timeline: FAILED: cannot write " + outFile + " (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")");
            return FAILED;
        }
        final int expected = instances * 5;
        out.printf(Locale.ROOT, "wrote %s: %d instances, %d of %d alarms delivered, %d RTC programmings, %d RTC wakes,"
                + " %d suspends%n", outFile, instances, r.deliveries().size(), expected,
                r.rtc().stream().filter(m -> m.op() == dev.valarm.impl.sim.SimulatedRtc.Op.PROGRAM).count(),
                r.wakes().size(), r.suspended().size());
        if (r.deliveries().size() != expected) {
            err.println("valarm timeline: FAILED: only " + r.deliveries().size() + " of " + expected
                    + " alarms were delivered");
            return FAILED;
        }
        return OK;
    }

    private static Path parseOut(final String s) {
        if (s.isBlank()) {
            throw new UsageException("--out needs a file name");
        }
        final Path p;
        try {
            p = Path.of(s).toAbsolutePath();
        } catch (final InvalidPathException e) {
            throw new UsageException("--out is not a valid path: " + s);
        }
        if (Files.isDirectory(p)) {
            throw new UsageException("--out names a directory, not a file: " + s);
        }
        final Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException("--out: the directory does not exist: " + (dir == null ? s : dir));
        }
        return p;
    }

    private static Duration parseWindow(final String s) {
        final double seconds;
        try {
            seconds = Double.parseDouble(s);
        } catch (final NumberFormatException e) {
            throw new UsageException("--window must be a number of seconds: " + s);
        }
        if (!(seconds >= 0 && seconds <= 60)) {
            throw new UsageException("--window must be in [0, 60] seconds: " + s);
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }
}
