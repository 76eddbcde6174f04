package dev.herald.dispatcher.check;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The check of one kind of store in a data directory, plugged into {@link DataCheck}. A check
 * only reads: it opens nothing for write, takes no lock, creates, truncates or deletes nothing.
 *
 * <pre>{@code
 * StoreCheck.Result r = new SendLedgerCheck().check(dataDir);   // r.filesChecked(), r.damaged()
 * }</pre>
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface StoreCheck {

    /** @return a short name of the store, e.g. {@code send-ledger} */
    String name();

    /**
     * Checks the store's files under {@code dataDir}; a store that is absent is not damage.
     *
     * @param dataDir the data directory
     * @return how many files were checked and which are damaged
     * @throws IOException if a file cannot be read at all (reported by {@link DataCheck} as damage of the store)
     */
    Result check(Path dataDir) throws IOException;

    /**
     * @param filesChecked files read and checked
     * @param damaged      one finding per damaged file
     * @param torn         one note per log whose last record is incomplete (a torn write, not damage:
     *                     the next open drops and reports it)
     */
    record Result(int filesChecked, List<Finding> damaged, List<Finding> torn) {
        public Result {
            damaged = List.copyOf(damaged);
            torn = List.copyOf(torn);
        }

        /** A result with no torn logs. */
        public Result(int filesChecked, List<Finding> damaged) {
            this(filesChecked, damaged, List.of());
        }
    }
}
