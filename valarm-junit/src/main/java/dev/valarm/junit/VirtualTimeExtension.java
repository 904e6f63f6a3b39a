package dev.valarm.junit;

import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link VirtualTime}: a fresh {@link SimulatedMachine} and device per
 * test, created on the first parameter that needs them and closed after the test. Usable directly with
 * {@code @ExtendWith(VirtualTimeExtension.class)} (then with {@link VirtualTime}'s defaults).
 *
 * <p>Resolves parameters of test and lifecycle methods of the types {@link VirtualTimeControl},
 * {@link Clock} (the default instance's wall clock), {@link ValarmInstance} (the default instance),
 * {@link ValarmDevice} and {@link SimulatedMachine}. Settings come from the nearest {@link VirtualTime}
 * on the test method, its class or an enclosing class.
 *
 * <p>Thread-safety: stateless; per-test state lives in the test's extension-context store.
 */
public final class VirtualTimeExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(VirtualTimeExtension.class);
    private static final String KEY = "state";
    private static final Set<Class<?>> TYPES = Set.of(VirtualTimeControl.class, Clock.class, ValarmInstance.class,
            ValarmDevice.class, SimulatedMachine.class);

    /** Creates the extension (JUnit does this). */
    public VirtualTimeExtension() {
    }

    @Override
    public boolean supportsParameter(final ParameterContext parameterContext, final ExtensionContext extensionContext) {
        final Class<?> type = parameterContext.getParameter().getType();
        if (!TYPES.contains(type)) {
            return false;
        }
        if (parameterContext.getDeclaringExecutable() instanceof Constructor) {
            throw new ParameterResolutionException("@VirtualTime gives a machine per test: declare the "
                    + type.getSimpleName() + " parameter on the test or a @BeforeEach method, not on the constructor of "
                    + parameterContext.getDeclaringExecutable().getDeclaringClass().getName());
        }
        if (extensionContext.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("@VirtualTime gives a machine per test: a " + type.getSimpleName()
                    + " cannot be injected into " + parameterContext.getDeclaringExecutable()
                    + " (class-level lifecycle methods have no test)");
        }
        return true;
    }

    @Override
    public Object resolveParameter(final ParameterContext parameterContext, final ExtensionContext extensionContext) {
        final VirtualTimeControl control = state(extensionContext).control;
        final Class<?> type = parameterContext.getParameter().getType();
        if (type == VirtualTimeControl.class) {
            return control;
        }
        if (type == Clock.class) {
            return control.clock();
        }
        if (type == ValarmInstance.class) {
            return control.defaultInstance();
        }
        if (type == ValarmDevice.class) {
            return control.device();
        }
        return control.machine();
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        final State state = context.getStore(NAMESPACE).remove(KEY, State.class);
        if (state != null) {
            state.close();
        }
    }

    private static State state(final ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(KEY, k -> new State(settings(context)), State.class);
    }

    private static VirtualTime settings(final ExtensionContext context) {
        Optional<ExtensionContext> c = Optional.of(context);
        while (c.isPresent()) {
            final Optional<AnnotatedElement> element = c.get().getElement();
            if (element.isPresent()) {
                final Optional<VirtualTime> found = AnnotationSupport.findAnnotation(element.get(), VirtualTime.class);
                if (found.isPresent()) {
                    return found.get();
                }
            }
            c = c.get().getParent();
        }
        return Defaults.class.getAnnotation(VirtualTime.class);
    }

    /** Carries the default settings for {@code @ExtendWith(VirtualTimeExtension.class)} without the annotation. */
    @VirtualTime
    private static final class Defaults {
    }

    /** One test's machine and device. Closed after the test (and by JUnit's store if left over). */
    private static final class State implements AutoCloseable {
        final VirtualTimeControl control;

        State(final VirtualTime settings) {
            final Instant start;
            try {
                start = Instant.parse(settings.start());
            } catch (final DateTimeParseException e) {
                throw new ExtensionConfigurationException("@VirtualTime(start = \"" + settings.start()
                        + "\") is not an ISO-8601 instant such as 2026-01-01T00:00:00Z", e);
            }
            if (settings.sinceBootSeconds() < 0) {
                throw new ExtensionConfigurationException("@VirtualTime(sinceBootSeconds = "
                        + settings.sinceBootSeconds() + ") must not be negative");
            }
            final SimulatedMachine machine = SimulatedMachine.builder().realtime(start)
                    .sinceBoot(Duration.ofSeconds(settings.sinceBootSeconds())).rtcCanWake(settings.rtcCanWake()).build();
            final ValarmDevice device = machine.newDevice(b -> b.threadName("valarm-virtual-time"));
            this.control = new VirtualTimeControl(machine, device);
        }

        @Override
        public void close() {
            control.device().close();
        }
    }
}
