package dev.valarm.daemon.internal.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void roundTrip() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", "create");
        m.put("n", 42L);
        m.put("neg", -7L);
        m.put("d", 1.5);
        m.put("t", true);
        m.put("nil", null);
        m.put("s", "a \"q\" \\ \n\t\u0001 é");
        m.put("l", List.of(1L, "x", Map.of("k", false)));
        final String text = Json.write(m);
        assertEquals(m, Json.parseObject(text));
        assertTrue(!text.contains("\n"), "one line: " + text);
    }

    @Test
    void malformedTextIsRefusedWithTheOffset() {
        for (final String bad : List.of("", "not json", "[1]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x",
                "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":1,\"a\":2}", "{\"a\":99999999999999999999}", "{\"a\":\"x")) {
            final Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parseObject(bad), bad);
            assertTrue(e.getMessage().contains("offset") || e.getMessage().contains("twice"), bad + ": " + e.getMessage());
        }
        final StringBuilder deep = new StringBuilder("{\"a\":");
        for (int i = 0; i < 40; i++) {
            deep.append('[');
        }
        assertThrows(Json.JsonException.class, () -> Json.parseObject(deep.toString()));
    }
}
