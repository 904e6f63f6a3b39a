package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TimelineCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int run(final String... args) {
        out.reset();
        err.reset();
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void timelineIsListedAndHasHelp() {
        assertEquals(0, run("--help"));
        assertTrue(out().contains("timeline"), out());
        assertEquals(0, run("timeline", "--help"));
        assertTrue(out().contains("usage: ./valarm timeline --out FILE.svg"), out());
        assertEquals(0, run("help", "timeline"));
        assertTrue(out().contains("--window"), out());
    }

    @Test
    void badArgumentsAreUsageErrorsThatSayWhatIsWrong() {
        assertEquals(2, run("timeline"));
        assertTrue(err().contains("--out FILE.svg is required"), err());
        assertEquals(2, run("timeline", "--out"));
        assertTrue(err().contains("--out needs a value"), err());
        assertEquals(2, run("timeline", "--out", dir.resolve("no/such/dir/t.svg").toString()));
        assertTrue(err().contains("directory does not exist"), err());
        assertEquals(2, run("timeline", "--out", dir.toString()));
        assertTrue(err().contains("names a directory"), err());
        assertEquals(2, run("timeline", "--out", dir.resolve("t.svg").toString(), "--instances", "2"));
        assertTrue(err().contains("[3, 26]: 2"), err());
        assertEquals(2, run("timeline", "--out", dir.resolve("t.svg").toString(), "--window=soon"));
        assertTrue(err().contains("soon"), err());
        assertEquals(2, run("timeline", "--out", dir.resolve("t.svg").toString(), "--window", "-1"));
        assertTrue(err().contains("[0, 60]"), err());
        assertEquals(2, run("timeline", "--bogus"));
        assertTrue(err().contains("unknown argument: --bogus"), err());
        assertTrue(err().contains("usage: ./valarm timeline"), "the usage follows the error: " + err());
        assertTrue(Files.notExists(dir.resolve("t.svg")), "nothing written on a usage error");
    }

    @Test
    void aFileThatCannotBeWrittenExitsOneWithTheReason() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc (Linux) for an unwritable directory");
        assertEquals(1, run("timeline", "--out", "/proc/valarm-timeline-test.svg"));
        assertTrue(err().contains("cannot write /proc/valarm-timeline-test.svg"), err());
    }

    @Test
    void theSvgIsWellFormedWithALanePerInstanceAndOneForTheRtc() throws Exception {
        final Path svg = dir.resolve("timeline.svg");
        assertEquals(0, run("timeline", "--out", svg.toString(), "--instances", "4"), err());
        assertTrue(out().contains("20 of 20 alarms delivered"), out());
        final Document doc = parse(svg);
        final Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals(SvgTimeline.SVG_NS, root.getNamespaceURI());
        assertEquals(5, withClass(doc, "g", "lane").size(), "4 instance lanes + the RTC lane");
        assertEquals(20, withClass(doc, "circle", "delivery").size(), "one delivery mark per alarm");
        assertEquals(20, withClass(doc, "circle", "alarm").size(), "one mark per alarm set");
        assertTrue(withClass(doc, "path", "program").size() >= 1, "the RTC was programmed");
        assertTrue(withClass(doc, "g", "wake").size() >= 1, "the RTC woke the machine");
        assertTrue(withClass(doc, "rect", "suspended").size() >= 1, "the machine suspended");
        final String text = Files.readString(svg);
        assertTrue(text.contains("tenant-B") && text.contains("wall clock 2031-"), "B's lane shows B's own wall clock");
    }

    @Test
    void windowsCoalesceWakesInThePicture() throws Exception {
        final Path exact = dir.resolve("exact.svg");
        final Path windowed = dir.resolve("windowed.svg");
        assertEquals(0, run("timeline", "--out", exact.toString(), "--instances", "6"), err());
        assertEquals(0, run("timeline", "--out", windowed.toString(), "--instances", "6", "--window", "3"), err());
        final int exactWakes = withClass(parse(exact), "g", "wake").size();
        final int windowedWakes = withClass(parse(windowed), "g", "wake").size();
        assertTrue(windowedWakes < exactWakes, "windows save wakes: " + windowedWakes + " vs " + exactWakes);
        assertEquals(12, withClass(parse(windowed), "rect", "window").size(), "the wakeup alarms' windows are drawn");
    }

    @Test
    void theSvgRendersInHeadlessChromiumToANonBlankPicture() throws Exception {
        final Optional<Path> chromium = findChromium();
        if (chromium.isEmpty()) {
            final String why = "chromium is not installed (apt-get install -y chromium)";
            if ("true".equals(System.getenv("CI"))) {
                fail(why + "; CI=true requires it");
            }
            Assumptions.assumeTrue(false, why + "; skipping the render check (it is required when CI=true)");
        }
        final Path svg = dir.resolve("timeline.svg");
        assertEquals(0, run("timeline", "--out", svg.toString()), err());
        final Path png = dir.resolve("timeline.png");
        final Path profile = Files.createDirectory(dir.resolve("chromium-profile"));
        final Path log = dir.resolve("chromium.log");
        final Process p = new ProcessBuilder(chromium.get().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--screenshot=" + png, "--window-size=1200,800",
                svg.toUri().toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish within 120 s: " + tail(log));
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + tail(log));
        assertTrue(Files.size(png) > 0, "no screenshot: " + tail(log));
        final BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "not a PNG: " + png);
        long ink = 0;
        long red = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                final int rgb = img.getRGB(x, y);
                final int r = (rgb >> 16) & 0xff;
                final int g = (rgb >> 8) & 0xff;
                final int b = rgb & 0xff;
                if (r < 240 || g < 240 || b < 240) {
                    ink++;
                }
                if (r > 180 && g < 90 && b < 90) {
                    red++;
                }
            }
        }
        assertTrue(ink > 10_000, "the picture is (nearly) blank: " + ink + " non-white pixels");
        assertTrue(red > 50, "the wakeup marks (red) were drawn: " + red + " red pixels");
    }

    private static Optional<Path> findChromium() {
        final String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (final String name : new String[] {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
            for (final String d : path.split(File.pathSeparator)) {
                final Path c = Path.of(d.isEmpty() ? "." : d, name);
                if (Files.isExecutable(c)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }

    private static String tail(final Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        final String s = Files.readString(log);
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }

    private static Document parse(final Path svg) throws Exception {
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        final DocumentBuilder b = f.newDocumentBuilder();
        b.setErrorHandler(null);
        return b.parse(svg.toFile());
    }

    private static List<Element> withClass(final Document doc, final String tag, final String cls) {
        final NodeList all = doc.getElementsByTagNameNS(SvgTimeline.SVG_NS, tag);
        final java.util.ArrayList<Element> list = new java.util.ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            final Element e = (Element) all.item(i);
            if (List.of(e.getAttribute("class").split(" ")).contains(cls)) {
                list.add(e);
            }
        }
        return list;
    }
}
