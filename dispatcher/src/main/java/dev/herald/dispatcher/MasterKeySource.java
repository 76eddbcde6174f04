package dev.herald.dispatcher;

import dev.herald.suppression.MasterKey;

import com.typesafe.config.Config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the master key that wraps the data keys comes from, in this order: a key file named on
 * the command line ({@code --master-key-file}) or by {@value #FILE_ENV}, the environment variable
 * {@value #ENV}, the setting {@value #SETTING}. Never from the data directory: the key is kept apart from the data it
 * protects.
 *
 * <pre>{@code
 * MasterKeySource k = MasterKeySource.resolve(keyFile, System.getenv(), ConfigFactory.load());
 * DirectoryOptions o = DirectoryOptions.defaults().withMasterKey(k.key().orElse(null));
 * }</pre>
 *
 * @param key    the master key, or empty: personal data is stored unencrypted
 * @param source where it came from, for messages ({@code "--master-key-file /etc/herald.key"},
 *               {@code "HERALD_MASTER_KEY"}, {@code "herald.data.master-key"}, or {@code "none"})
 */
public record MasterKeySource(Optional<MasterKey> key, String source) {

    /** The environment variable holding the master key (base64 of 32 bytes). */
    public static final String ENV = "HERALD_MASTER_KEY";
    /** The environment variable naming a file that holds the master key (as container secrets are given). */
    public static final String FILE_ENV = "HERALD_MASTER_KEY_FILE";
    /** The setting holding the master key, for configuration files that substitute it from elsewhere. */
    public static final String SETTING = "herald.data.master-key";
    /** What Herald says at start when no master key is set. */
    public static final String UNENCRYPTED_WARNING = "personal data (numbers, names, uploaded fields, message fields, "
            + "unsubscribe reasons) is stored UNENCRYPTED: no master key is set (" + FILE_ENV + ", " + ENV + ", " + SETTING
            + " or --master-key-file; `herald keys generate` makes one)";

    /** No master key. */
    public static MasterKeySource none() {
        return new MasterKeySource(Optional.empty(), "none");
    }

    /**
     * The master key from the first source that has one.
     *
     * @param keyFile a file holding the key (base64 or hex, surrounding blanks ignored), or null
     * @param env     the environment
     * @param config  the configuration, or null to skip the setting
     * @return the key and its source, or {@link #none()}
     * @throws IllegalArgumentException naming the source if its key cannot be read or is malformed
     *                                  (the key itself is never repeated)
     */
    public static MasterKeySource resolve(Path keyFile, Map<String, String> env, Config config) {
        String fileFromEnv = env.get(FILE_ENV);
        if (keyFile == null && fileFromEnv != null && !fileFromEnv.isBlank()) {
            return fromFile(Path.of(fileFromEnv.strip()), FILE_ENV + "=" + fileFromEnv.strip());
        }
        if (keyFile != null) {
            return fromFile(keyFile, "--master-key-file " + keyFile);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new MasterKeySource(Optional.of(MasterKey.parse(fromEnv.strip(), ENV)), ENV);
        }
        if (config != null && config.hasPath(SETTING)) {
            String fromConfig = config.getString(SETTING);
            if (!fromConfig.isBlank()) {
                return new MasterKeySource(Optional.of(MasterKey.parse(fromConfig.strip(), SETTING)), SETTING);
            }
        }
        return none();
    }

    private static MasterKeySource fromFile(Path keyFile, String what) {
        if (!Files.isRegularFile(keyFile)) {
            throw new IllegalArgumentException(what + ": no such file");
        }
        String text;
        try {
            text = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot be read (" + e.getMessage() + ")", e);
        }
        return new MasterKeySource(Optional.of(MasterKey.parse(text.strip(), what)), what);
    }
}
