package dev.herald.throttle.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Durable dictionary of the channel and category names a ledger has seen, each mapped to a
 * code 1–255 that {@link SendLedgerSlots} stores. Codes are never reassigned, so stored slots
 * keep their meaning across restarts and configuration changes.
 *
 * <p>A new name is written (temp file, fsync, atomic rename) before its code is returned, so
 * no slot on disk ever holds a code the file lacks.
 *
 * <p>{@code int code = codes.channel("sms");}
 *
 * <p>Thread-safe: lookups read an immutable map; additions are serialised.
 */
public final class SendLedgerCodes {

    private static final String FILE = "codes.properties";
    private static final int MAX_CODE = 255;

    private final Path file;
    private volatile Map<String, Integer> codes;

    private SendLedgerCodes(Path file, Map<String, Integer> codes) {
        this.file = file;
        this.codes = codes;
    }

    /**
     * @param dir the ledger directory
     * @return the dictionary stored there (empty if none yet)
     * @throws dev.herald.suppression.DamagedFileException if it is damaged (named)
     * @throws IOException           if the file cannot be read
     */
    public static SendLedgerCodes open(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        Map<String, Integer> codes = new HashMap<>();
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (java.nio.charset.CharacterCodingException | IllegalArgumentException e) {
                throw new dev.herald.suppression.DamagedFileException(file, dev.herald.suppression.DamagedFileException.NO_OFFSET,
                        "not a readable properties file (" + e + ")", e);
            }
            for (String key : p.stringPropertyNames()) {
                try {
                    int code = Integer.parseInt(p.getProperty(key));
                    if (code < 1 || code > MAX_CODE || !(key.startsWith("channel.") || key.startsWith("category."))) {
                        throw new NumberFormatException();
                    }
                    codes.put(key, code);
                } catch (NumberFormatException e) {
                    throw new dev.herald.suppression.DamagedFileException(file, dev.herald.suppression.DamagedFileException.NO_OFFSET,
                            "bad entry '" + key + "=" + p.getProperty(key) + "'");
                }
            }
        }
        return new SendLedgerCodes(file, Map.copyOf(codes));
    }

    /**
     * @param name a channel name
     * @return its code, assigned and persisted if new
     * @throws IllegalStateException if 255 channels already have codes
     * @throws UncheckedIOException  if a new code cannot be persisted
     */
    public int channel(String name) {
        return code("channel." + name);
    }

    /**
     * @param name a category name
     * @return its code, assigned and persisted if new
     * @throws IllegalStateException if 255 categories already have codes
     * @throws UncheckedIOException  if a new code cannot be persisted
     */
    public int category(String name) {
        return code("category." + name);
    }

    private int code(String key) {
        Integer c = codes.get(key);
        return c != null ? c : add(key);
    }

    private synchronized int add(String key) {
        Integer existing = codes.get(key);
        if (existing != null) {
            return existing;
        }
        String prefix = key.substring(0, key.indexOf('.') + 1);
        int next = 1 + (int) codes.keySet().stream().filter(k -> k.startsWith(prefix)).count();
        if (next > MAX_CODE) {
            throw new IllegalStateException("send ledger holds codes for " + MAX_CODE + " " + prefix + " names already; cannot add " + key);
        }
        Map<String, Integer> updated = new TreeMap<>(codes);
        updated.put(key, next);
        write(updated);
        codes = Map.copyOf(updated);
        return next;
    }

    private void write(Map<String, Integer> all) {
        StringBuilder text = new StringBuilder("# send-ledger name codes; never edit: stored slots refer to them\n");
        all.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist send-ledger codes to " + file, e);
        }
    }
}
