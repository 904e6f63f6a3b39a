package dev.valarm.bridge;

/** Lets tests in other packages ask whether gcc is here. */
public final class CClientAccess {
    private CClientAccess() {
    }

    /**
     * Whether gcc runs.
     *
     * @return true if it does
     */
    public static boolean gcc() {
        return CClient.gccAvailable();
    }
}
