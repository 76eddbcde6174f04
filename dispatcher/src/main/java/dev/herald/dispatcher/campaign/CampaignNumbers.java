package dev.herald.dispatcher.campaign;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.herald.dispatcher.store.LineLog;

/**
 * A small number for each campaign, given durably on first use and never reused: where a campaign
 * id is too long to keep per message or per recipient (unsubscribe tokens, the last-send marks of
 * opt-out attribution).
 *
 * <pre>{@code
 * CampaignNumbers numbers = CampaignNumbers.open(dataDir.resolve("campaign-numbers.log"));
 * int n = numbers.numberOf("spring-sale");      // 1 on first use, then always 1
 * numbers.campaignOf(n);                        // Optional[spring-sale]
 * }</pre>
 *
 * <p>Stored as {@code <number> <campaign id>} lines in a {@link LineLog} (each line checksummed and
 * fsynced before the number is handed out). Numbers start at 1. Thread-safe.
 */
public final class CampaignNumbers implements AutoCloseable {

    /** The largest number (tokens keep 3 bytes of it). */
    public static final int MAX = (1 << 24) - 1;

    private final LineLog log;
    private final Map<String, Integer> numbers = new ConcurrentHashMap<>();
    private final Map<Integer, String> ids = new ConcurrentHashMap<>();

    private CampaignNumbers(LineLog log) throws IOException {
        this.log = log;
        int line = 0;
        for (String r : log.records()) {
            line++;
            int sp = r.indexOf(' ');
            int n;
            try {
                n = Integer.parseInt(r.substring(0, Math.max(sp, 0)));
            } catch (NumberFormatException e) {
                throw new IOException(log + " line " + line + ": not '<number> <campaign id>'");
            }
            if (n != line) {
                throw new IOException(log + " line " + line + ": number " + n + " out of order");
            }
            numbers.put(r.substring(sp + 1), n);
            ids.put(n, r.substring(sp + 1));
        }
    }

    /**
     * Opens (creating if absent) the numbers in {@code file}.
     *
     * @throws IOException if the file cannot be read or is damaged before its last line
     */
    public static CampaignNumbers open(Path file) throws IOException {
        LineLog log = LineLog.open(file);
        try {
            return new CampaignNumbers(log);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /**
     * @param campaignId a campaign id (no line break)
     * @return its number, given (durably) on first use
     * @throws UncheckedIOException  if a new number cannot be made durable
     * @throws IllegalStateException if {@value #MAX} numbers are used up
     */
    public int numberOf(String campaignId) {
        Integer n = numbers.get(campaignId);
        if (n != null) {
            return n;
        }
        synchronized (this) {
            n = numbers.get(campaignId);
            if (n != null) {
                return n;
            }
            int next = ids.size() + 1;
            if (next > MAX) {
                throw new IllegalStateException("all " + MAX + " campaign numbers are used");
            }
            try {
                log.append(next + " " + campaignId);
            } catch (IOException e) {
                throw new UncheckedIOException("the number of campaign " + campaignId + " could not be stored", e);
            }
            ids.put(next, campaignId);
            numbers.put(campaignId, next);
            return next;
        }
    }

    /** @return the number already given to {@code campaignId}, if any (nothing is written) */
    public Optional<Integer> existing(String campaignId) {
        return Optional.ofNullable(numbers.get(campaignId));
    }

    /** @return the campaign given number {@code n}, if any */
    public Optional<String> campaignOf(int n) {
        return Optional.ofNullable(ids.get(n));
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
