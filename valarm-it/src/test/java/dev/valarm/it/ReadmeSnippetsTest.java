package dev.valarm.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of README.md that says where it is compiled ({@code <!-- compiled: PATH -->} before the
 * block) is in that file: each import line, and the code lines in order, contiguous (ignoring indentation;
 * a {@code // ...} line in the snippet stands for any lines). So a snippet a user copies compiles and runs,
 * and a change to the API that breaks it fails the build.
 */
final class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern SNIPPET = Pattern.compile("<!-- compiled: (\\S+) -->\\n```java\\n(.*?)\\n```",
            Pattern.DOTALL);

    @Test
    void everyMarkedSnippetIsInTheFileThatCompilesIt() throws IOException {
        final String readme = Files.readString(ROOT.resolve("README.md"));
        final Matcher m = SNIPPET.matcher(readme);
        int snippets = 0;
        while (m.find()) {
            snippets++;
            final Path file = ROOT.resolve(m.group(1));
            assertTrue(Files.isRegularFile(file), "the snippet's file exists: " + file);
            check(m.group(2), Files.readString(file), m.group(1));
        }
        assertTrue(snippets >= 4, "README.md has its compiled snippets (found " + snippets + ")");
        // Every Java snippet says where it is compiled.
        final long java = Pattern.compile("```java\\n").matcher(readme).results().count();
        assertTrue(java == snippets, java + " Java snippets, " + snippets + " of them marked <!-- compiled: ... -->");
    }

    private static void check(final String snippet, final String source, final String where) {
        final List<String> sourceLines = source.lines().map(String::strip).collect(Collectors.toList());
        final List<String> code = new ArrayList<>();
        for (final String line : snippet.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            if (line.startsWith("import ")) {
                assertTrue(sourceLines.contains(line), where + " has the snippet's " + line);
            } else {
                code.add(line);
            }
        }
        assertFalse(code.isEmpty(), "a snippet with code");
        assertTrue(containsInOrder(sourceLines, code), where + " has the snippet's code, verbatim and in order:\n"
                + String.join("\n", code));
    }

    /** Whether {@code lines} holds {@code code} contiguously, a "// ..." line in code matching any lines. */
    private static boolean containsInOrder(final List<String> lines, final List<String> code) {
        for (int start = 0; start < lines.size(); start++) {
            if (matchesFrom(lines, start, code, 0)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesFrom(final List<String> lines, final int at, final List<String> code, final int k) {
        if (k == code.size()) {
            return true;
        }
        if (code.get(k).equals("// ...")) {
            for (int i = at; i <= lines.size(); i++) {
                if (matchesFrom(lines, i, code, k + 1)) {
                    return true;
                }
            }
            return false;
        }
        return at < lines.size() && lines.get(at).equals(code.get(k)) && matchesFrom(lines, at + 1, code, k + 1);
    }
}
