package dev.herald.dispatcher.funnel;

import java.nio.file.Path;

/**
 * The child JVM of {@link TouchStoreCrashTest}: opens the touches in {@code dir}, records for
 * recipients {@code 0..n-1} a delivery (campaign {@code 1 + r % 7}, time {@code base + r}) and
 * every third a click, and prints {@code ACK <r>} once each returned; then {@code DONE}, and
 * waits to be killed.
 */
public final class TouchStoreCrashChild {

    static final long BASE = 1_796_600_000_000L;

    private TouchStoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        TouchStore t = TouchStore.open(Path.of(args[0]), TouchStoreCrashTest.CAPACITY);
        int n = Integer.parseInt(args[1]);
        for (int r = 0; r < n; r++) {
            t.delivered(r, 1 + r % 7, BASE + r);
            if (r % 3 == 0) {
                t.clicked(r, 1 + r % 7, BASE + 2L * r);
            }
            System.out.println("ACK " + r);
            System.out.flush();
        }
        System.out.println("DONE");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
