package dev.valarm.junit.example;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Code under test for the example: sessions that expire after an idle timeout, on an injected clock. */
final class SessionStore {
    private final Clock clock;
    private final Duration idleTimeout;
    private final Map<String, Instant> lastSeen = new HashMap<>();

    SessionStore(final Clock clock, final Duration idleTimeout) {
        this.clock = clock;
        this.idleTimeout = idleTimeout;
    }

    void touch(final String user) {
        lastSeen.put(user, clock.instant());
    }

    boolean isActive(final String user) {
        final Instant seen = lastSeen.get(user);
        return seen != null && !clock.instant().isAfter(seen.plus(idleTimeout));
    }
}
