package example;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.valarm.junit.VirtualTime;
import dev.valarm.junit.VirtualTimeControl;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

// README.md's @VirtualTime example, verbatim (valarm's ReadmeSnippetsTest checks that).
@VirtualTime(start = "2030-06-01T12:00:00Z")
class SessionTest {
    @Test
    void aSessionExpiresAfterItsIdleTimeout(Clock clock, VirtualTimeControl time) {
        SessionStore sessions = new SessionStore(clock, Duration.ofMinutes(30));
        sessions.touch("alice");
        time.advance(Duration.ofMinutes(31));           // no sleeping: simulated clocks
        assertFalse(sessions.isActive("alice"));
    }
}
