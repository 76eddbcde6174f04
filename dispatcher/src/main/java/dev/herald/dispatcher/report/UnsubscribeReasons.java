package dev.herald.dispatcher.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.suppression.store.FramedLog;

import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reasons recipients gave on the unsubscribe page, read from {@code <data dir>/unsubscribe/reasons.jsonl}
 * (written by the unsubscribe page, one JSON object a line:
 * {@code {"time","recipientId","phone","campaign","sender","reason","text"}}), keyed by recipient and
 * campaign; the latest line (by {@code time}, then by position) wins.
 *
 * <pre>{@code
 * UnsubscribeReasons r = UnsubscribeReasons.read(dataDir.resolve(UnsubscribeReasons.FILE), c -> c.equals("c-42"));
 * r.reasonOf(17, "c-42");   // Optional[too-frequent]
 * }</pre>
 *
 * <p>A missing file means no reasons. Each line carries its checksum ({@link ReasonLog}): a line
 * whose checksum fails, or zero-filled bytes, is damage and refuses the read with a
 * {@link dev.herald.suppression.store.DamagedStoreException} naming the file and offset. A whole
 * line that is unusable (a field missing or of the wrong type, an unknown reason) is skipped and
 * counted; the first few are logged with their offset (without the phone number). Reading is one
 * pass over the file. Immutable once read; thread-safe.
 */
public final class UnsubscribeReasons {

    /** Where the file lives, relative to the data directory. */
    public static final String FILE = "unsubscribe/reasons.jsonl";

    /** The reasons the page offers. */
    public static final List<String> REASONS = List.of("too-frequent", "not-relevant", "never-signed-up", "other");

    private static final Logger LOG = LoggerFactory.getLogger(UnsubscribeReasons.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOGGED = 5;

    private record Given(Instant time, String reason) {
    }

    private final Map<Key, Given> latest;
    private final long damaged;

    private record Key(int recipientId, String campaign) {
    }

    private UnsubscribeReasons(Map<Key, Given> latest, long damaged) {
        this.latest = latest;
        this.damaged = damaged;
    }

    /** No reasons at all. */
    public static UnsubscribeReasons none() {
        return new UnsubscribeReasons(Map.of(), 0);
    }

    /**
     * @param file      the reasons file; missing: no reasons
     * @param campaigns which campaigns to keep (a line's campaign, or null for none); the others are skipped unparsed
     * @return the latest reason per recipient and campaign
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset of a damaged line
     * @throws IOException if the file exists but cannot be read
     */
    public static UnsubscribeReasons read(Path file, Predicate<String> campaigns) throws IOException {
        if (!Files.exists(file)) {
            return none();
        }
        if (ReasonLog.isLegacy(file)) {
            return readLegacy(file, campaigns);
        }
        Map<Key, Given> latest = new HashMap<>();
        long[] damaged = {0, 0}; // lines, frames
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // an incomplete last line is an append in progress (or dropped at the next open): not read, not damage
            FramedLog.scan(file, FramedLog.map(file, ch), ReasonLog.FORMAT, (data, at, p, n) -> {
                damaged[1]++;
                byte[] object = new byte[n + 1];
                data.get(p, object, 0, n);
                object[n] = '}';
                String problem;
                try {
                    problem = take(new String(object, StandardCharsets.UTF_8), campaigns, latest);
                } catch (IOException | RuntimeException e) {
                    problem = "not a JSON object";
                }
                if (problem != null && ++damaged[0] <= LOGGED) {
                    LOG.warn("{} line {} (offset {}) skipped: {}", file, damaged[1], at, problem);
                }
            });
        }
        if (damaged[0] > LOGGED) {
            LOG.warn("{}: {} unusable lines skipped in all", file, damaged[0]);
        }
        return new UnsubscribeReasons(latest, damaged[0]);
    }

    /** Lines written before reasons were checksummed (until {@link ReasonLog} migrates the file). */
    private static UnsubscribeReasons readLegacy(Path file, Predicate<String> campaigns) throws IOException {
        Map<Key, Given> latest = new HashMap<>();
        long damaged = 0;
        long lineNo = 0;
        try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String problem;
                try {
                    problem = take(line, campaigns, latest);
                } catch (IOException | RuntimeException e) {
                    problem = "not a JSON object";
                }
                if (problem != null) {
                    damaged++;
                    if (damaged <= LOGGED) {
                        LOG.warn("{} line {} skipped: {}", file, lineNo, problem);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return none();
        }
        if (damaged > LOGGED) {
            LOG.warn("{}: {} damaged lines skipped in all", file, damaged);
        }
        return new UnsubscribeReasons(latest, damaged);
    }

    /** Takes one line; @return null, or what is wrong with it */
    private static String take(String line, Predicate<String> campaigns, Map<Key, Given> latest) throws IOException {
        JsonNode n = JSON.readTree(line);
        if (n == null || !n.isObject()) {
            return "not a JSON object";
        }
        JsonNode c = n.path("campaign");
        if (!(c.isNull() || c.isTextual() || c.isMissingNode())) {
            return "'campaign' is not a string or null";
        }
        String campaign = c.isTextual() ? c.asText() : null;
        if (!campaigns.test(campaign)) {
            return null;
        }
        JsonNode id = n.path("recipientId");
        if (!id.isInt() || id.asInt() < 0) {
            return "'recipientId' is not a recipient id";
        }
        String reason = n.path("reason").isTextual() ? n.path("reason").asText() : null;
        if (reason == null || !REASONS.contains(reason)) {
            return "'reason' is not one of " + REASONS;
        }
        Instant time;
        try {
            time = Instant.parse(n.path("time").asText(""));
        } catch (DateTimeParseException e) {
            return "'time' is not an ISO-8601 instant";
        }
        latest.merge(new Key(id.asInt(), campaign), new Given(time, reason),
                (old, now) -> now.time().isBefore(old.time()) ? old : now);
        return null;
    }

    /**
     * @param recipientId the recipient
     * @param campaign    the campaign the opt-out was attributed to, or null
     * @return the latest reason given for that campaign
     */
    public Optional<String> reasonOf(int recipientId, String campaign) {
        Given g = latest.get(new Key(recipientId, campaign));
        return g == null ? Optional.empty() : Optional.of(g.reason());
    }

    /** @return how many lines were skipped as damaged */
    public long damaged() {
        return damaged;
    }
}
