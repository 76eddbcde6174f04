package dev.herald.dispatcher.journey;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link EventsCrashTest}: records events {@code e-<from>} .. {@code e-<to - 1>}
 * in batches of {@value #BATCH}, printing {@code ACK <last event number>} once each batch's
 * {@link Events#record} returned, until killed ({@code DONE} if it never is).
 */
public final class EventsCrashChild {
    static final int BATCH = 50;

    private EventsCrashChild() {
    }

    static Event event(int n) {
        return new Event("e-" + n, n % 1_000, "order_placed", 1_800_000_000_000L, 1_800_000_000_001L,
                java.util.Map.of("orderId", "o-" + n, "value", new BigDecimal(n % 100 + ".25")));
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int from = Integer.parseInt(args[1]);
        int to = Integer.parseInt(args[2]);
        try (Events c = Events.open(dir)) {
            for (int i = from; i < to; i += BATCH) {
                List<Event> batch = new ArrayList<>(BATCH);
                for (int n = i; n < Math.min(to, i + BATCH); n++) {
                    batch.add(event(n));
                }
                c.record(batch);
                System.out.println("ACK " + (i + batch.size() - 1));
                System.out.flush();
            }
        }
        System.out.println("DONE");
        System.out.flush();
    }
}
