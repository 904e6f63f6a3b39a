package dev.valarm.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The example in {@link VirtualTime}'s javadoc is the compiled, running {@code VirtualTimeExampleTest}. */
class DocSnippetTest {

    @Test
    void theJavadocExampleIsTheExampleTestVerbatim() throws IOException {
        final String javadoc = Files.readString(Path.of("src/main/java/dev/valarm/junit/VirtualTime.java"));
        final Matcher m = Pattern.compile("<pre>\\{@code\\n(.*?)\\n \\* }</pre>", Pattern.DOTALL).matcher(javadoc);
        assertTrue(m.find(), "VirtualTime's javadoc has a <pre>{@code ...}</pre> example");
        final String snippet = m.group(1).replaceAll("(?m)^ \\* ?", "");

        final String example = Files.readString(
                Path.of("src/test/java/dev/valarm/junit/example/VirtualTimeExampleTest.java"));
        final int from = example.indexOf("@VirtualTime(");
        assertTrue(from > 0, "the example class is annotated");
        final String body = example.substring(from).strip();
        assertEquals(body, snippet.strip(), "copy the example class (from its annotation on) into the javadoc");
    }
}
