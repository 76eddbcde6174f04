package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The campaigns of a data directory, one directory each:
 *
 * <pre>
 * campaigns/&lt;id&gt;/campaign.json   the {@link CampaignRecord}, replaced atomically (written aside, fsynced, renamed)
 * campaigns/&lt;id&gt;/identity        its sender and channel, which never change, with a CRC-32: written at
 *                                creation (or the first save of an older campaign), so that its
 *                                recipients' unsubscribe links work when campaign.json is damaged
 * campaigns/&lt;id&gt;/outcomes/       its {@link OutcomeLedger} (audience, checkpoint, log)
 * </pre>
 *
 * <pre>{@code
 * CampaignStore store = new CampaignStore(dataDir.resolve("campaigns"));
 * store.create(record, audience);              // ledger first, then campaign.json: the commit point
 * store.save(record.withStatus(CampaignStatus.RUNNING, now));
 * }</pre>
 *
 * <p>A campaign exists once its {@code campaign.json} does: a creation cut short by a crash leaves a
 * directory without one, which {@link #list()} skips and the next {@link #create} of that id
 * replaces.
 *
 * <p><b>Damage.</b> A {@code campaign.json} that cannot be read as a record is that campaign's
 * problem only: {@link #list()} lists it as a {@link CampaignRecord#damaged damaged} record naming
 * the file and what is wrong, and lists the others; {@link #load} refuses it by name.
 *
 * <p>Thread-safety: thread-safe for different ids; one writer per id (the campaign's actor).
 */
public final class CampaignStore {
    /** The record file inside a campaign's directory. */
    public static final String RECORD = "campaign.json";
    /** The outcome ledger directory inside a campaign's directory. */
    public static final String OUTCOMES = "outcomes";
    /** The file with the campaign's sender and channel inside its directory. */
    public static final String IDENTITY = "identity";

    /**
     * What a campaign's unsubscribe links need and what never changes after creation.
     *
     * @param sender  the sender id
     * @param channel the channel
     */
    public record Identity(String sender, String channel) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(CampaignStore.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path root;
    /** Told the name of each file operation before it runs, on the thread that runs it (tests check which). */
    private final java.util.function.Consumer<String> fileWork;

    /** @param root the directory that holds one directory per campaign (created on the first {@link #create}) */
    public CampaignStore(Path root) {
        this(root, op -> { });
    }

    /**
     * A store that tells {@code fileWork} the name of each file operation ({@code create}, {@code save},
     * {@code load}, {@code list}, {@code identity}, {@code open-ledger}, {@code close-ledger}) before
     * it runs, on the thread that runs it: tests check that no file work runs on Pekko's default dispatcher.
     */
    CampaignStore(Path root, java.util.function.Consumer<String> fileWork) {
        this.root = root;
        this.fileWork = fileWork;
    }

    /**
     * Opens campaign {@code id}'s existing outcome ledger (recovering it: claimed ids become {@code unknown}).
     *
     * @throws IOException if it is missing or fails its checks (the campaign is then damaged)
     * @throws IllegalArgumentException for a bad id
     */
    public OutcomeLedger openLedger(String id) throws IOException {
        Path dir = ledgerDir(id);
        fileWork.accept("open-ledger");
        return OutcomeLedger.openExisting(dir);
    }

    /**
     * Closes a ledger {@link #openLedger} opened (its last checkpoint and fsync).
     *
     * @throws IOException if the final write fails (every claim was fsynced when made: none is lost)
     */
    public void closeLedger(OutcomeLedger ledger) throws IOException {
        fileWork.accept("close-ledger");
        ledger.close();
    }

    /** @return the directory that holds the campaigns */
    public Path root() {
        return root;
    }

    /**
     * @param c         a stored campaign
     * @param recipient one of its recipients
     * @return the sender of the message the recipient was (or is to be) sent: its variant's own sender,
     *     else the campaign's (read from its A/B test's sample file when it has one)
     * @throws IOException if the sample file cannot be read
     */
    public String senderOf(CampaignRecord c, int recipient) throws IOException {
        if (c.variants() == null || c.variants().stream().allMatch(v -> v.sender() == null)) {
            return c.sender();
        }
        List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample = c.test() == null ? null
                : dev.herald.dispatcher.experiment.SampleFile.read(campaignDir(c.id())).orElse(null);
        int v = RecipientLookup.variantOf(c, sample, recipient);
        return v < 0 ? c.sender() : c.variants().get(v).senderOr(c.sender());
    }

    /** @return the directory of campaign {@code id} (its record, ledger, test sample) @throws IllegalArgumentException for a bad id */
    public Path campaignDir(String id) {
        CampaignRecord.checkId(id);
        return root.resolve(id);
    }

    /** @return the outcome ledger directory of campaign {@code id} @throws IllegalArgumentException for a bad id */
    public Path ledgerDir(String id) {
        CampaignRecord.checkId(id);
        return root.resolve(id).resolve(OUTCOMES);
    }

    /**
     * Creates campaign {@code record.id()}: its outcome ledger over {@code audience}, then its record.
     *
     * @throws IllegalArgumentException if a campaign with that id exists, or the audience size differs from the record's
     * @throws IOException if the files cannot be written
     */
    public void create(CampaignRecord record, ImmutableRoaringBitmap audience) throws IOException {
        fileWork.accept("create");
        if (audience.getLongCardinality() != record.audienceSize()) {
            throw new IllegalArgumentException("campaign " + record.id() + ": record says " + record.audienceSize()
                    + " recipients, audience has " + audience.getLongCardinality());
        }
        Path dir = root.resolve(record.id());
        if (Files.exists(dir.resolve(RECORD))) {
            throw new IllegalArgumentException("campaign " + record.id() + " already exists");
        }
        if (Files.exists(dir)) {
            LOG.warn("campaign {}: replacing a creation that did not finish", record.id());
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        writeIdentity(dir, record);
        try (OutcomeLedger ledger = OutcomeLedger.open(dir.resolve(OUTCOMES), audience)) {
            ledger.sync();
        }
        save(record);
    }

    /** Replaces the stored record of {@code record.id()} atomically and durably. @throws IOException if that fails */
    public void save(CampaignRecord record) throws IOException {
        fileWork.accept("save");
        if (record.status() == CampaignStatus.DAMAGED) {
            throw new IllegalArgumentException("campaign " + record.id() + ": a damaged record is never stored");
        }
        Path dir = root.resolve(record.id());
        if (!Files.exists(dir.resolve(IDENTITY))) {
            writeIdentity(dir, record); // a campaign created before identity files existed
        }
        Path tmp = dir.resolve(RECORD + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(record);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + dir.resolve(RECORD) + " atomically on this file system", e);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /**
     * @return the record of campaign {@code id}, empty if there is none
     * @throws CorruptIndexException naming the file if it is not a valid record
     * @throws IOException if it cannot be read
     */
    public Optional<CampaignRecord> load(String id) throws IOException {
        fileWork.accept("load");
        CampaignRecord.checkId(id);
        Path file = root.resolve(id).resolve(RECORD);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            CampaignRecord r = JSON.readValue(bytes, CampaignRecord.class);
            if (!r.id().equals(id)) {
                throw new CorruptIndexException(file, "holds campaign '" + r.id() + "', expected '" + id + "'");
            }
            return Optional.of(r);
        } catch (JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new CorruptIndexException(file, "not a valid campaign record: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new CorruptIndexException(file, "not a valid campaign record: " + e.getMessage(), e);
        }
    }

    /**
     * @return every campaign's record, oldest first; directories without a record (an unfinished
     *     creation) are skipped; a record that cannot be read is listed as a
     *     {@link CampaignRecord#damaged damaged} one naming the file and what is wrong (logged)
     * @throws IOException if the directory itself cannot be read
     */
    public List<CampaignRecord> list() throws IOException {
        fileWork.accept("list");
        List<CampaignRecord> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                String id = dir.getFileName().toString();
                try {
                    CampaignRecord.checkId(id);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                try {
                    load(id).ifPresent(out::add);
                } catch (IOException | RuntimeException e) {
                    LOG.error("campaign {} is damaged, the other campaigns carry on: {}", id, e.getMessage());
                    out.add(CampaignRecord.damaged(id, modified(dir.resolve(RECORD)), relative(String.valueOf(e.getMessage()))));
                }
            }
        }
        out.sort(Comparator.comparing(CampaignRecord::createdAt).thenComparing(CampaignRecord::id));
        return out;
    }

    /**
     * @param message an error message naming files under the data directory
     * @return it with those files named relative to the data directory ({@code campaigns/x/campaign.json}),
     *     as API answers show them (no server paths)
     */
    public String relative(String message) {
        Path data = root.toAbsolutePath().getParent();
        String m = String.valueOf(message);
        return data == null ? m : m.replace(data + java.io.File.separator, "").replace(root + java.io.File.separator,
                root.getFileName() + "/");
    }

    /** @return when campaign {@code id}'s record file was last written, as far as known (epoch if not) */
    java.time.Instant recordModified(String id) {
        return modified(root.resolve(id).resolve(RECORD));
    }

    private static java.time.Instant modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return java.time.Instant.EPOCH;
        }
    }

    /**
     * @return the sender and channel of campaign {@code id}, from its identity file; empty when it has
     *     none (a campaign created before identity files, never saved since) or it is damaged (logged)
     */
    public Optional<Identity> identity(String id) {
        fileWork.accept("identity");
        CampaignRecord.checkId(id);
        Path file = root.resolve(id).resolve(IDENTITY);
        try {
            List<String> lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
            if (lines.size() == 3 && lines.get(0).startsWith("sender=") && lines.get(1).startsWith("channel=")
                    && lines.get(2).equals("crc32=" + crc(lines.get(0) + "\n" + lines.get(1) + "\n"))) {
                return Optional.of(new Identity(lines.get(0).substring(7), lines.get(1).substring(8)));
            }
            LOG.error("{}: damaged (not sender=, channel=, crc32= lines with a matching checksum)", file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: cannot be read: {}", file, e.toString());
        }
        return Optional.empty();
    }

    private static void writeIdentity(Path dir, CampaignRecord record) throws IOException {
        String body = "sender=" + record.sender() + "\n" + "channel=" + record.channel() + "\n";
        byte[] bytes = (body + "crc32=" + crc(body) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path tmp = dir.resolve(IDENTITY + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(IDENTITY), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String crc(String s) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
