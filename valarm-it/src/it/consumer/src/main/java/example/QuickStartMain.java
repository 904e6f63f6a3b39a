package example;

import dev.valarm.impl.Valarm;

/** Runs the quick start and says which provider served it, and from which module (ModulePathRunTest). */
public final class QuickStartMain {
    private QuickStartMain() {
    }

    /**
     * Prints one line: the quick start's result, then the provider and its module.
     *
     * @param args none
     */
    public static void main(final String[] args) throws InterruptedException {
        final String result = QuickStart.run();
        final Class<?> provider = Valarm.defaultProvider().getClass();
        System.out.println(result + " provider=" + provider.getName() + " module=" + provider.getModule().getName()
                + " consumer-module=" + QuickStartMain.class.getModule().getName());
    }
}
