package dev.herald.dispatcher.harness;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The machine and JVM a bench ran on, as recorded with its figures.
 *
 * <p>{@code Machine m = Machine.current();}
 *
 * <p>Immutable.
 *
 * @param cores               processors available to the JVM
 * @param maxHeapBytes        the JVM's maximum heap ({@code -Xmx}), bytes
 * @param physicalMemoryBytes the machine's memory, bytes (-1 if the JVM does not say)
 * @param javaVersion         {@code java.runtime.version}
 * @param vm                  {@code java.vm.name}
 * @param os                  {@code os.name os.arch}
 * @param garbageCollectors   the collectors' names
 * @param jvmArguments        the JVM's input arguments (e.g. {@code -Xmx1g})
 */
public record Machine(int cores, long maxHeapBytes, long physicalMemoryBytes, String javaVersion, String vm, String os,
                      List<String> garbageCollectors, List<String> jvmArguments) {

    /** Copies the lists. */
    public Machine {
        garbageCollectors = List.copyOf(garbageCollectors);
        jvmArguments = List.copyOf(jvmArguments);
    }

    /** @return this JVM's machine */
    public static Machine current() {
        long physical = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            physical = os.getTotalMemorySize();
        }
        return new Machine(Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory(), physical,
                System.getProperty("java.runtime.version"), System.getProperty("java.vm.name"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList(),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
    }
}
