package dev.herald.dispatcher.connector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kills a sending child JVM with SIGKILL: every acknowledged message must be in the log. */
class SimulatedConnectorCrashTest {

    private static final long SEED = 4242L;

    @TempDir
    Path dir;

    @Test
    void shouldHaveEveryAcknowledgedMessageInTheLogAfterKill9() throws Exception {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        Path logFile = SimulatedConnectorOptions.defaults(dir).logFile();
        Set<String> acknowledged = new HashSet<>();
        for (int round = 0; round < 3; round++) {
            int killAfter = 200 + random.nextInt(3000);
            acknowledged.addAll(runAndKill(killAfter, random.nextLong()));
            List<AcceptedLogEntry> log = SimulatedConnector.readLog(logFile);
            Set<String> logged = log.stream().map(e -> e.recipientId() + " " + e.messageId()).collect(Collectors.toSet());
            assertEquals(log.size(), logged.size(), "no duplicate line");
            Set<String> missing = new HashSet<>(acknowledged);
            missing.removeAll(logged);
            assertTrue(missing.isEmpty(), "round " + round + ": acknowledged but not logged: " + missing);
        }
        try (SimulatedConnector c = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir))) {
            assertInstanceOf(SendResult.Accepted.class, c.send(Messages.to("after", 1)).toCompletableFuture().join());
        }
        assertEquals("after", SimulatedConnector.readLog(logFile).get(SimulatedConnector.readLog(logFile).size() - 1).campaignId());
    }

    private Set<String> runAndKill(int killAfter, long childSeed) throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashingSender.class.getName(), dir.toString(),
                Long.toString(childSeed)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Set<String> acks = new HashSet<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    acks.add(line.substring(4));
                    if (acks.size() == killAfter) {
                        // kill(1), not destroyForcibly(): the latter closes our end of the pipe, and
                        // the acknowledgements still in it must be read.
                        new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    }
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        assertTrue(acks.size() >= killAfter, "saw " + acks.size() + " acknowledgements");
        return acks;
    }
}
