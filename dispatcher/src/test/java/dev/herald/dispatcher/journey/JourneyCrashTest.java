package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills (SIGKILL) a whole Herald process running a journey ({@link JourneyCrashChild}: send, delay,
 * send for every recipient) in the middle of its first send step, in the middle of its delay and in
 * the middle of its second send step, restarting it each time; the connector's accepted log is the
 * oracle: no step reached anyone twice, and every instance ended with both steps {@code sent} or
 * {@code unknown} (claimed, unconfirmed at a kill: at most a window per kill), none lost.
 */
class JourneyCrashTest {
    private static final int RECIPIENTS = 20_000;

    @TempDir
    Path tmp;

    /** PROGRESS entered, sent by each send step (as recorded), accepted by the connector for each, waiting. */
    private record Progress(long entered, long sent1, long sent2, long first, long second, long waiting) {
        static Progress parse(String line) {
            String[] p = line.split(" ");
            return new Progress(Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4]),
                    Long.parseLong(p[5]), Long.parseLong(p[6]));
        }
    }

    @Test
    void aKillInTheMiddleOfASendOrADelaySendsNoStepTwiceAndLosesNone() throws Exception {
        try (HeraldData data = SyntheticAudience.openData(tmp.resolve("data"), RECIPIENTS)) {
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(RECIPIENTS).withSeed(CampaignFixture.SEED))
                    .populate(data, (p, d, t) -> { });
        }
        List<String> kills = new ArrayList<>();
        kills.add(killWhen(p -> p.first() > 1_000 && p.first() < RECIPIENTS - 4_000, "in the first send step"));
        kills.add(killWhen(p -> p.sent1() > 0 && p.second() == 0, "in the delay"));
        kills.add(killWhen(p -> p.second() > 1_000 && p.second() < RECIPIENTS - 4_000, "in the second send step"));
        System.out.println("JourneyCrashTest: " + kills);
        Process last = start();
        String out = new String(last.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(last.waitFor(120, TimeUnit.SECONDS), "the last run finishes");
        assertEquals(0, last.exitValue(), out + Files.readString(tmp.resolve("child.err")));
        String settled = out.lines().filter(l -> l.startsWith("SETTLED ")).findFirst().orElseThrow(() -> new AssertionError(out));
        @SuppressWarnings("unchecked")
        Map<String, Object> report = JourneyFixture.JSON.readValue(settled.substring(8), Map.class);
        check(report);
    }

    /** Starts a child and kills it when {@code when} holds for a progress line it prints. */
    private String killWhen(Predicate<Progress> when, String where) throws Exception {
        long started = System.nanoTime();
        Process child = start();
        String seen = "not killed";
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals("STARTED")) {
                    System.out.println("JourneyCrashTest: child started after " + (System.nanoTime() - started) / 1_000_000 + " ms");
                }
                if (line.startsWith("SETTLED")) {
                    break;
                }
                if (line.startsWith("PROGRESS ") && when.test(Progress.parse(line))) {
                    new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    seen = where + " at " + line + " after " + (System.nanoTime() - started) / 1_000_000 + " ms";
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertFalse(seen.equals("not killed"), "the child finished before it could be killed " + where);
        checkNoTwice();
        return seen;
    }

    private Process start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), JourneyCrashChild.class.getName(),
                tmp.toString(), Integer.toString(RECIPIENTS)));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("child.err").toFile())).start();
    }

    /** @return campaign id → recipients accepted, failing on any (campaign, recipient) twice */
    private Map<String, MutableRoaringBitmap> checkNoTwice() throws IOException {
        Map<String, MutableRoaringBitmap> accepted = new HashMap<>();
        Path log = SimulatedConnectorOptions.defaults(tmp.resolve("log")).logFile();
        if (Files.exists(log)) {
            for (AcceptedLogEntry e : SimulatedConnector.readLog(log)) {
                MutableRoaringBitmap b = accepted.computeIfAbsent(e.campaignId(), k -> new MutableRoaringBitmap());
                assertFalse(b.contains(e.recipientId()), "step " + e.campaignId() + " reached " + e.recipientId() + " twice");
                b.add(e.recipientId());
            }
        }
        return accepted;
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> report) throws IOException {
        Map<String, MutableRoaringBitmap> accepted = checkNoTwice();
        assertEquals(RECIPIENTS, ((Number) report.get("entered")).intValue());
        Map<String, Integer> exited = (Map<String, Integer>) report.get("exited");
        int done = exited.getOrDefault("done", 0);
        int suppressed = exited.getOrDefault("suppressed", 0); // the synthetic audience's opt-outs, at the first step
        assertEquals(RECIPIENTS, done + suppressed, "every instance ended once, none lost: " + exited);
        List<Map<String, Object>> steps = (List<Map<String, Object>>) ((List<Map<String, Object>>) report.get("versions"))
                .get(0).get("steps");
        for (int s : new int[] {0, 2}) {
            Map<String, Object> step = steps.get(s);
            Map<String, Integer> outcomes = (Map<String, Integer>) step.get("outcomes");
            int sent = outcomes.getOrDefault("sent", 0);
            int unknown = outcomes.getOrDefault("unknown", 0);
            int optedOut = outcomes.entrySet().stream().filter(e -> e.getKey().startsWith("suppressed:"))
                    .mapToInt(Map.Entry::getValue).sum();
            assertEquals(s == 0 ? RECIPIENTS : done, sent + unknown + optedOut,
                    "step " + s + ": every instance that reached it sent, unknown or suppressed: " + outcomes);
            assertEquals(s == 0 ? suppressed : 0, optedOut, "step " + s + ": " + outcomes);
            long got = accepted.getOrDefault((String) step.get("campaign"), new MutableRoaringBitmap()).getLongCardinality();
            assertTrue(got >= sent && got <= sent + unknown, "step " + s + ": accepted " + got + ", outcomes " + outcomes);
            assertTrue(unknown <= 3 * JourneyCrashChild.WINDOW, "step " + s + ": " + unknown + " unknown after 3 kills");
            System.out.println("JourneyCrashTest step " + step.get("id") + ": " + outcomes + ", accepted " + got);
        }
    }
}
