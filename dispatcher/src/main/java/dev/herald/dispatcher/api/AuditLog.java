package dev.herald.dispatcher.api;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change made through the API by a key: who (the key's id and role), what (method and
 * path, phone numbers in it masked), when, and how it was answered. Kept as JSON lines in
 * {@code <data>/audit/audit.log}, answered by {@code GET /v1/audit} (admin).
 *
 * <pre>{@code
 * AuditLog audit = AuditLog.open(dataDir);
 * audit.record(new AuditLog.Entry(Instant.now(), "k-1", "sender", "POST", "/v1/campaigns/c-1/pause", 200));
 * List<AuditLog.Entry> newest = audit.read(null, null, null, 100).entries();
 * }</pre>
 *
 * <p>A writer thread appends what {@link #record} queues and makes each batch durable (one
 * {@code fsync} per batch), so a burst of calls (event ingestion) costs one sync, not one each;
 * a crash loses at most the batch being written. A line torn by a crash is skipped on reading
 * and counted as {@code damaged}. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {

    /** The log, relative to the data directory. */
    public static final String FILE = "audit/audit.log";

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final Pattern PHONE = Pattern.compile("\\+?[0-9][0-9 ()-]{5,20}");
    private static final Entry STOP = new Entry(Instant.EPOCH, "", "", "", "", 0);

    /**
     * One change.
     *
     * @param at     when it was answered
     * @param keyId  the key's id (never its secret)
     * @param role   the key's role then
     * @param method POST, PUT, DELETE or PATCH
     * @param path   the path, phone numbers masked, without the query
     * @param status the answer's HTTP status
     */
    public record Entry(Instant at, String keyId, String role, String method, String path, int status) {
    }

    /**
     * What {@link #read} found.
     *
     * @param entries the entries asked for, newest first
     * @param more    older entries matched beyond the limit
     * @param damaged lines that could not be read (torn by a crash)
     */
    public record Page(List<Entry> entries, boolean more, long damaged) {
    }

    private final Path file;
    private final FileChannel channel;
    /** The log's length up to the end of the last batch made durable: readers stop there (no half-written line). */
    private volatile long durable;
    private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;

    private AuditLog(Path file, FileChannel channel) throws IOException {
        this.file = file;
        this.channel = channel;
        this.durable = channel.size();
        this.writer = new Thread(this::write, "herald-audit");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * @param dataDir the data directory
     * @throws IOException if the log cannot be created or opened for appending
     */
    public static AuditLog open(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE);
        Files.createDirectories(f.getParent());
        boolean torn = false;
        if (Files.exists(f)) {
            try (FileChannel r = FileChannel.open(f, StandardOpenOption.READ)) {
                ByteBuffer last = ByteBuffer.allocate(1);
                torn = r.size() > 0 && r.read(last, r.size() - 1) == 1 && last.get(0) != '\n';
            }
        }
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            if (torn) {
                // a line torn by a crash: end it, so that the next entry is a line of its own (the torn one stays, counted damaged)
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
                ch.force(false);
                LOG.warn("audit log {}: its last line was torn (a crash while writing); it is kept and skipped", f);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new AuditLog(f, ch);
    }

    /** @return the log's file */
    public Path file() {
        return file;
    }

    /** Queues one change; the writer makes it durable shortly. Ignored once closed. */
    public void record(Entry e) {
        if (!closed) {
            queue.add(new Entry(e.at(), e.keyId(), e.role(), e.method(), maskPath(e.path()), e.status()));
        }
    }

    /**
     * @return {@code path} with every phone number masked: the segment after {@code recipients} or
     *         {@code suppressions} (where the routes take a number, in any form libphonenumber reads,
     *         whatever it looks like), and any other segment that looks like a number
     */
    static String maskPath(String path) {
        String[] parts = path.split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            String decoded;
            try {
                decoded = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                decoded = parts[i];
            }
            boolean phoneRoute = i > 0 && (parts[i - 1].equals("recipients") || parts[i - 1].equals("suppressions"));
            if (phoneRoute || PHONE.matcher(decoded).matches()) {
                parts[i] = maskAll(decoded);
            }
        }
        return String.join("/", parts);
    }

    /** Every digit (of any script) but the last 3 as {@code *}; a path separator is kept out. */
    private static String maskAll(String s) {
        String masked = PhoneMask.mask(s);
        return masked.replace('/', '_');
    }

    private void write() {
        List<Entry> batch = new ArrayList<>();
        boolean stop = false;
        while (!stop) {
            try {
                Entry first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                StringBuilder lines = new StringBuilder();
                for (Entry e : batch) {
                    if (e == STOP) {
                        stop = true;
                    } else {
                        lines.append(ApiDirectives.JSON.writeValueAsString(e)).append('\n');
                    }
                }
                ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(false);
                durable = channel.size();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                // the API's answers are already given: say it loudly, keep the writer alive for the next batch
                LOG.error("audit log {}: {} change(s) could not be written: {}", file, batch.size(), e.toString());
            }
            batch.clear();
        }
    }

    /**
     * The entries in {@code [from, to)} (either may be null: open), of {@code keyId} if given,
     * newest first, at most {@code limit}. Reads what the writer made durable so far.
     *
     * @throws UncheckedIOException if the log cannot be read
     */
    public Page read(Instant from, Instant to, String keyId, int limit) {
        return read(file, durable, from, to, keyId, limit);
    }

    /**
     * As {@link #read(Instant, Instant, String, int)}, from a log another process is writing (a cluster
     * node's): its lines up to the last complete one (a line being written is left for later).
     *
     * @param file a log as {@link AuditLog} writes it (none: no entries)
     * @throws UncheckedIOException if it cannot be read
     */
    public static Page readComplete(Path file, Instant from, Instant to, String keyId, int limit) {
        long upTo;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            upTo = in.size();
            ByteBuffer b = ByteBuffer.allocate(4096);
            long end = upTo;
            // back to the end of the last whole line (lines are short: a few hundred bytes)
            scan:
            while (end > 0) {
                long start = Math.max(0, end - b.capacity());
                b.clear().limit((int) (end - start));
                while (b.hasRemaining() && in.read(b, start + b.position()) > 0) {
                    // read the block whole
                }
                for (int i = b.position() - 1; i >= 0; i--) {
                    if (b.get(i) == '\n') {
                        upTo = start + i + 1;
                        break scan;
                    }
                }
                end = start;
                upTo = 0;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return new Page(List.of(), false, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("the audit log " + file + " could not be read: " + e.getMessage(), e);
        }
        return read(file, upTo, from, to, keyId, limit);
    }

    private static Page read(Path file, long upTo, Instant from, Instant to, String keyId, int limit) {
        Deque<Entry> newest = new ArrayDeque<>(Math.min(limit, 1024) + 1);
        long damaged = 0;
        boolean more = false;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
                     new java.io.FilterInputStream(java.nio.channels.Channels.newInputStream(in)) {
                         private long left = upTo;

                         @Override
                         public int read() throws IOException {
                             if (left <= 0) {
                                 return -1;
                             }
                             int b = super.read();
                             if (b >= 0) {
                                 left--;
                             }
                             return b;
                         }

                         @Override
                         public int read(byte[] b, int off, int len) throws IOException {
                             if (left <= 0) {
                                 return -1;
                             }
                             int n = super.read(b, off, (int) Math.min(len, left));
                             if (n > 0) {
                                 left -= n;
                             }
                             return n;
                         }
                     }, StandardCharsets.UTF_8.newDecoder()))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                Entry e;
                try {
                    e = ApiDirectives.JSON.readValue(line, Entry.class);
                } catch (JsonProcessingException ex) {
                    damaged++;
                    continue;
                }
                if (e.at() == null || (from != null && e.at().isBefore(from)) || (to != null && !e.at().isBefore(to))
                        || (keyId != null && !keyId.equals(e.keyId()))) {
                    continue;
                }
                newest.addFirst(e);
                if (newest.size() > limit) {
                    newest.removeLast();
                    more = true;
                }
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new UncheckedIOException("the audit log " + file + " is damaged (not UTF-8): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("the audit log " + file + " could not be read: " + e.getMessage(), e);
        }
        return new Page(List.copyOf(newest), more, damaged);
    }

    /** Writes what is queued, then closes the log. */
    @Override
    public void close() throws IOException {
        closed = true;
        queue.add(STOP);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
    }
}
