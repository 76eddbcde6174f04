package dev.herald.dispatcher.harness;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * The peak heap of one stretch of work: {@link #reset()} before it, {@link #read()} after.
 *
 * <p>{@code HeapPeaks.reset(); runScenario(); long peak = HeapPeaks.read();}
 *
 * <p>The peak is the sum over heap pools of each pool's peak usage since the reset: an upper
 * bound of the true peak (pools may peak at different moments), and it counts garbage not yet
 * collected, so it is what the heap needed under this collector and {@code -Xmx}, not the live set.
 *
 * <p>Thread-safety: the JVM's pools are global; one measurement at a time.
 */
public final class HeapPeaks {
    private HeapPeaks() {
    }

    /**
     * Collects garbage (so the previous work's garbage is not counted), then resets every heap
     * pool's peak to its current usage.
     */
    public static void reset() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                pool.resetPeakUsage();
            }
        }
    }

    /** @return the sum over heap pools of their peak usage since the last {@link #reset()}, bytes */
    public static long read() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid() && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
