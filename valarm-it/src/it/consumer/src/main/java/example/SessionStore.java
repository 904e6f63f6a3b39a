package example;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/** Code under test for README.md's @VirtualTime example: sessions that expire when idle, on an injected clock. */
public final class SessionStore {
    private final Clock clock;
    private final Duration idleTimeout;
    private final ConcurrentHashMap<String, Instant> expiries = new ConcurrentHashMap<>();

    /**
     * A store.
     *
     * @param clock where "now" comes from
     * @param idleTimeout how long a session lives without a touch
     */
    public SessionStore(final Clock clock, final Duration idleTimeout) {
        this.clock = clock;
        this.idleTimeout = idleTimeout;
    }

    /**
     * Records activity of a user.
     *
     * @param user the user
     */
    public void touch(final String user) {
        expiries.put(user, clock.instant().plus(idleTimeout));
    }

    /**
     * Whether the user's session is still alive.
     *
     * @param user the user
     * @return true until the idle timeout has passed since the last touch
     */
    public boolean isActive(final String user) {
        final Instant expiry = expiries.get(user);
        return expiry != null && clock.instant().isBefore(expiry);
    }
}
