package dev.herald.dispatcher.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The operator console's static files (issue 18): HTML, CSS, JavaScript modules and SVG shipped in
 * the jar beside this class ({@code dev/herald/dispatcher/console/}), looked up by a flat file name.
 *
 * <pre>{@code
 * ConsoleAssets assets = ConsoleAssets.fromJar();
 * assets.get("app.js");            // Optional[Asset[app.js, text/javascript; charset=utf-8, ...]]
 * assets.get("../api-keys.json");  // Optional.empty(): not a console file name
 * }</pre>
 *
 * <p><b>Names.</b> Only {@link #NAME} is looked up: lower-case letters, digits and '-' and one
 * known extension, no '/', '\', '%' or leading '.', so no name can leave the console's folder
 * whatever the request path decoded to. Anything else, or a name with no file, is absent.
 *
 * <p>Thread-safety: thread-safe; a file is read once and kept (there are a dozen, a few KiB each).
 * Absent names are not remembered, so a scan of random names grows nothing.
 */
public final class ConsoleAssets {

    /** A console file name: {@code [a-z0-9][a-z0-9-]*} and an extension of {@link #TYPES}, at most 64 characters. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,55}\\.(html|css|js|svg)");

    /** The content type of each extension. */
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "svg", "image/svg+xml");

    /**
     * One file.
     *
     * @param name        its file name, e.g. {@code app.js}
     * @param bytes       its content (do not modify)
     * @param contentType its {@code Content-Type}
     * @param etag        a strong entity tag of its content, quoted ({@code "1f2e…"})
     */
    public record Asset(String name, byte[] bytes, String contentType, String etag) {
    }

    /** Opens a file by name: the resource's bytes, or null when there is none. */
    @FunctionalInterface
    public interface Source {
        /** @throws IOException if the file exists but cannot be read */
        byte[] read(String name) throws IOException;
    }

    private final Source source;
    private final Map<String, Asset> loaded = new ConcurrentHashMap<>();

    /** @param source where files are read from (tests: a map) */
    public ConsoleAssets(Source source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    /** @return the console shipped in the jar, beside this class */
    public static ConsoleAssets fromJar() {
        return new ConsoleAssets(name -> {
            try (InputStream in = ConsoleAssets.class.getResourceAsStream(name)) {
                return in == null ? null : in.readAllBytes();
            }
        });
    }

    /**
     * @param name a file name as requested, e.g. {@code campaigns.js}
     * @return the file, or empty for a name that is not a console file name or has no file
     * @throws UncheckedIOException if the file exists but cannot be read
     */
    public Optional<Asset> get(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        Asset known = loaded.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        byte[] bytes;
        try {
            bytes = source.read(name);
        } catch (IOException e) {
            throw new UncheckedIOException("console file " + name + " could not be read", e);
        }
        if (bytes == null) {
            return Optional.empty();
        }
        String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
        Asset a = new Asset(name, bytes, type, etag(bytes));
        loaded.putIfAbsent(name, a);
        return Optional.of(a);
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return '"' + HexFormat.of().formatHex(digest, 0, 16) + '"';
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
