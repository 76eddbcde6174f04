package dev.herald.dispatcher;

import dev.herald.suppression.DataCipher;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.nio.file.Path;

/**
 * For tests of stores that seal with the recipient directory's data key: a small real directory,
 * encrypted under a fresh master key (or plain), whose {@link RecipientDirectory#cipher} they use.
 *
 * <p>{@code try (SealingDirectory d = SealingDirectory.encrypted(tmp)) { log = MessageLog.open(dir, d.cipher(MessageLog.PURPOSE)); }}
 */
public final class SealingDirectory implements AutoCloseable {

    private final RecipientDirectory directory;

    private SealingDirectory(RecipientDirectory directory) {
        this.directory = directory;
    }

    /** A new directory under {@code dir}/directory with a fresh master key. */
    public static SealingDirectory encrypted(Path dir) throws IOException {
        return new SealingDirectory(RecipientDirectory.open(dir.resolve("directory"),
                DirectoryOptions.defaults().withCapacity(DirectoryOptions.MIN_CAPACITY).withMasterKey(MasterKey.generate())));
    }

    /** A new directory under {@code dir}/directory without a master key: its ciphers are disabled. */
    public static SealingDirectory plain(Path dir) throws IOException {
        return new SealingDirectory(RecipientDirectory.open(dir.resolve("directory"),
                DirectoryOptions.defaults().withCapacity(DirectoryOptions.MIN_CAPACITY)));
    }

    /** @return the directory's cipher for {@code purpose} */
    public DataCipher cipher(String purpose) {
        return directory.cipher(purpose);
    }

    @Override
    public void close() throws IOException {
        directory.close();
    }
}
