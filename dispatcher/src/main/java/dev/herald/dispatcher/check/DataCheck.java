package dev.herald.dispatcher.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Verifies every stored file of a data directory without changing anything: a registry of
 * {@link StoreCheck}s, one per kind of store. {@code herald data check} prints its findings;
 * {@code herald serve} logs its summary at start.
 *
 * <pre>{@code
 * DataCheckReport report = DataCheck.standard().run(Path.of("herald-data"));
 * report.damaged().forEach(f -> System.out.println(f));   // "<file>: <what is wrong>"
 * }</pre>
 *
 * <p>Read only: no check opens a file for write, takes a lock, creates, truncates or deletes.
 * Run it on a directory no process is writing, or expect files being written to be reported as
 * they were at that moment. Immutable and thread-safe.
 */
public final class DataCheck {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DataCheck.class);

    private final List<StoreCheck> checks;

    private DataCheck(List<StoreCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /** @return the checks of every store Herald keeps, in data-directory order */
    public static DataCheck standard() {
        return new DataCheck(List.of(
                new RecipientDirectoryCheck(),
                new RecipientPagesCheck(),
                new SuppressionBaseCheck(),
                new SendLedgerCheck(),
                new CampaignRecordsCheck(),
                new SegmentBitmapsCheck(),
                new ApiKeysCheck(),
                new LastSendsCheck(),
                new TouchesCheck(),
                new UnsubscribeKeyCheck(),
                new LinkKeyCheck(),
                new LogsCheck()));
    }

    /**
     * @param check another store's check
     * @return a registry with {@code check} added after the others
     */
    public DataCheck with(StoreCheck check) {
        List<StoreCheck> more = new ArrayList<>(checks);
        more.add(check);
        return new DataCheck(more);
    }

    /** @return the registered checks */
    public List<StoreCheck> checks() {
        return checks;
    }

    /**
     * Runs every check. A check that fails to read its store is reported as damage of that store.
     *
     * @param dataDir the data directory (must exist)
     * @return the findings
     * @throws UncheckedIOException wrapping a {@link java.nio.file.NoSuchFileException} if {@code dataDir} is not a directory
     */
    public DataCheckReport run(Path dataDir) {
        if (!Files.isDirectory(dataDir)) {
            throw new UncheckedIOException(new java.nio.file.NoSuchFileException(dataDir.toString(), null,
                    "no Herald data there (check --data-dir)"));
        }
        int files = 0;
        List<Finding> damaged = new ArrayList<>();
        List<Finding> torn = new ArrayList<>();
        for (StoreCheck c : checks) {
            try {
                StoreCheck.Result r = c.check(dataDir);
                files += r.filesChecked();
                damaged.addAll(r.damaged());
                torn.addAll(r.torn());
            } catch (IOException | RuntimeException e) {
                damaged.add(new Finding(dataDir, c.name() + " could not be checked: " + e));
            }
        }
        return new DataCheckReport(checks.size(), files, damaged, torn);
    }

    /**
     * Runs every check and logs what {@code herald data check} would print: one ERROR line per
     * damaged file ({@code damaged stored file <file>: <problem>}), then the summary (INFO, or
     * ERROR if anything is damaged). Does nothing if {@code dataDir} does not exist yet.
     *
     * @param dataDir the data directory
     * @return the findings, or null if there is no data directory
     */
    public DataCheckReport runAndLog(Path dataDir) {
        if (!Files.isDirectory(dataDir)) {
            return null;
        }
        DataCheckReport report = run(dataDir);
        for (Finding f : report.damaged()) {
            LOG.error("damaged stored file {}", f);
        }
        for (Finding f : report.torn()) {
            LOG.warn("torn last record {}", f);
        }
        if (report.ok()) {
            LOG.info("{}", report.summary());
        } else {
            LOG.error("{}", report.summary());
        }
        return report;
    }
}
