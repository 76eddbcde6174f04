package dev.herald.dispatcher.funnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.funnel.Touches.Touch;

/**
 * Kills (SIGKILL) a child JVM ({@link TouchStoreCrashChild}) while it records touches, and checks
 * that every touch it answered for is there after the store is recovered, twice over.
 */
class TouchStoreCrashTest {

    static final long CAPACITY = 5_000;
    private static final long SEED = 1515L;
    private static final int N = 40_000; // within 10 x the capacity (the map's growth limit)

    @TempDir
    Path data;

    @Test
    void everyAnsweredTouchSurvivesAKill9() throws Exception {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        Path dir = data.resolve("funnel");
        for (int round = 0; round < 2; round++) {
            int acked = runAndKill(dir, 2_000 + random.nextInt(8_000));
            assertTrue(Files.exists(dir.resolve("touches.open")), "the killed process left its marker");
            try (TouchStore t = TouchStore.open(dir, CAPACITY)) {
                for (int r = 0; r <= acked; r++) {
                    assertEquals(Optional.of(new Touch(1 + r % 7, TouchStoreCrashChild.BASE + r)), t.lastDelivered(r),
                            "recipient " + r + " (round " + round + ")");
                    if (r % 3 == 0) {
                        assertEquals(Optional.of(new Touch(1 + r % 7, TouchStoreCrashChild.BASE + 2L * r)), t.lastClicked(r));
                    }
                }
                assertTrue(t.size() >= acked + 1, t.size() + " recipients, " + (acked + 1) + " answered");
            }
        }
    }

    /** @return the last recipient the child answered for before it was killed */
    private int runAndKill(Path dir, int killAfter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TouchStoreCrashChild.class.getName(), dir.toString(),
                Integer.toString(N)));
        Path err = data.resolve("child.err");
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(err.toFile())).start();
        int last = -1;
        int acks = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    last = Integer.parseInt(line.substring(4));
                    if (++acks == killAfter) {
                        new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    }
                } else if (line.equals("DONE")) {
                    fail("the child recorded every touch before it was killed");
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL; its stderr: " + (Files.exists(err) ? Files.readString(err) : ""));
        assertTrue(acks >= killAfter, "saw " + acks + " answers");
        System.out.println("killed after " + acks + " answers");
        return last;
    }
}
