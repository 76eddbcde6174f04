package dev.herald.dispatcher.connector;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;

/**
 * Child-JVM main for {@link SimulatedConnectorCrashTest}: sends until killed and prints
 * {@code ACK <recipientId> <messageId>} for every accepted answer, after it was received.
 */
public final class CrashingSender {

    private CrashingSender() {
    }

    public static void main(String[] args) throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(Path.of(args[0])).withWindow(64)
                .withLatency(Duration.ZERO, Duration.ofMillis(1)).withFailureRate(0.1).withSeed(Long.parseLong(args[1]));
        Semaphore window = new Semaphore(o.window());
        SimulatedConnector c = SimulatedConnector.open(o);
        System.out.println("READY");
        System.out.flush();
        for (int id = 0; ; id++) {
            window.acquire();
            int recipient = id;
            c.send(Messages.to("crash", recipient)).whenComplete((r, e) -> {
                window.release();
                if (r instanceof SendResult.Accepted a) {
                    synchronized (System.out) {
                        System.out.println("ACK " + recipient + " " + a.messageId());
                        System.out.flush();
                    }
                }
            });
        }
    }
}
