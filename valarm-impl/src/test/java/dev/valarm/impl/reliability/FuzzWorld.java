package dev.valarm.impl.reliability;

import dev.valarm.AlarmHandle;
import dev.valarm.OpenMode;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What the fuzz tests call into: four instances with two writable and one read-only handle each, a
 * handle of an instance that was closed, and a closed handle of a live instance.
 */
final class FuzzWorld {
    final List<ValarmInstance> instances = new ArrayList<>();
    final List<AlarmHandle> handles = new ArrayList<>();
    final AlarmHandle goneHandle;
    final AlarmHandle closedHandle;

    /**
     * @param device where to create the instances
     * @param closedHandleOf which live instance the closed handle belongs to
     */
    FuzzWorld(final ValarmDevice device, final int closedHandleOf) {
        for (int i = 0; i < 4; i++) {
            final ValarmInstance in = device.createInstance();
            instances.add(in);
            handles.add(in.open(OpenMode.READ_WRITE));
            handles.add(in.open(OpenMode.READ_WRITE));
            handles.add(in.open(OpenMode.READ_ONLY));
        }
        final ValarmInstance gone = device.createInstance();
        goneHandle = gone.open(OpenMode.READ_WRITE);
        gone.close();
        closedHandle = instances.get(closedHandleOf).open(OpenMode.READ_WRITE);
        closedHandle.close();
    }

    /** Churn: closes a random handle (an owner close resets its instance) and opens a new one in its place. */
    void churn(final Random rnd, final SimulatedMachine machine) {
        final int k = rnd.nextInt(handles.size());
        final AlarmHandle old = handles.get(k);
        old.close();
        handles.set(k, old.instance().open(old.mode()));
        machine.awaitIdle();
    }
}
