package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** valarm-junit brought no JUnit of its own: the test runs on exactly the one version this build chose. */
class JUnitVersionTest {

    @Test
    void exactlyOneJUnitJupiterApiIsPresentAndItIsTheChosenOne() {
        final String expected = System.getProperty("it.expected.junit");
        final String inUse = Test.class.getPackage().getImplementationVersion(); // null in a named module
        if (inUse != null) {
            assertEquals(expected, inUse, "the JUnit Jupiter API in use");
        }
        final List<String> apis = Stream.of("java.class.path", "jdk.module.path")
                .map(p -> System.getProperty(p, ""))
                .flatMap(p -> Arrays.stream(p.split(File.pathSeparator)))
                .filter(e -> new File(e).getName().startsWith("junit-jupiter-api-"))
                .distinct().collect(Collectors.toList());
        assertEquals(List.of("junit-jupiter-api-" + expected + ".jar"),
                apis.stream().map(e -> new File(e).getName()).collect(Collectors.toList()), apis.toString());
    }
}
