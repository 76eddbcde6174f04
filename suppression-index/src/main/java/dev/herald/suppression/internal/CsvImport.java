package dev.herald.suppression.internal;

import dev.herald.suppression.CsvReader;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.RecipientDirectory.Registration;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One streamed CSV import into a recipient directory.
 *
 * <p>{@code ImportReport r = CsvImport.run(csv, "audience.csv", numbers, store::register, listener);}
 *
 * <p>Two threads, because validating a number with libphonenumber costs about as much as storing
 * it: a parser thread reads and fully validates records (number, zone, locale, encoded size)
 * into batches; the calling thread applies them in line order and calls the listener. A bounded
 * queue between them keeps memory flat whatever the file size. Since everything that can reject
 * a record is checked before it is applied, a record is applied completely or not at all.
 *
 * <p>Header: the first record. Names are stripped and lower-cased; {@code phone} is required,
 * {@code tz} and {@code locale} are optional, every other column is a personal field. Blank or
 * repeated names are refused.
 */
public final class CsvImport {

    /** Applies one validated record. */
    @FunctionalInterface
    public interface Registrar {
        /**
         * @param input validated input
         * @return the id and whether it is new
         * @throws IllegalArgumentException if the record cannot be applied (nothing was written)
         */
        Registration register(ValidatedRecipient input);
    }

    private static final int BATCH = 512;
    private static final int QUEUED_BATCHES = 32;

    /** A parsed line: exactly one of {@code input} and {@code reason} is set. */
    private record Item(long line, ValidatedRecipient input, String reason) {
    }

    /** What the parser thread hands over: items, then a final batch with {@code done} set. */
    private record Batch(List<Item> items, boolean done, Throwable failure) {
    }

    private final CsvReader csv;
    private final String source;
    private final PhoneNumbers numbers;
    private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(QUEUED_BATCHES);
    private volatile boolean cancelled;
    private String[] names;
    private int phoneColumn = -1;
    private int zoneColumn = -1;
    private int localeColumn = -1;

    private CsvImport(CsvReader csv, String source, PhoneNumbers numbers) {
        this.csv = csv;
        this.source = source;
        this.numbers = numbers;
    }

    /**
     * @param csv       the records; not closed here
     * @param source    file name for messages
     * @param numbers   number normalisation
     * @param registrar applies a record
     * @param listener  hears each record's outcome, on the calling thread
     * @return the counts
     * @throws IllegalArgumentException if the header is missing, malformed or has no
     *                                  {@code phone} column
     * @throws IOException              if reading fails (records before the failure stay applied)
     */
    public static ImportReport run(CsvReader csv, String source, PhoneNumbers numbers, Registrar registrar,
                                   ImportListener listener) throws IOException {
        CsvImport job = new CsvImport(csv, source, numbers);
        job.readHeader();
        listener.onHeader(List.of(job.names));
        Thread parser = new Thread(job::parse, "herald-csv-parse");
        parser.setDaemon(true);
        parser.start();
        try {
            return job.apply(registrar, listener);
        } finally {
            job.cancelled = true;
            job.queue.clear();
            try {
                parser.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readHeader() throws IOException {
        CsvReader.Row header = csv.next();
        if (header == null) {
            throw new IllegalArgumentException(source + ": no header row (expected one with a 'phone' column)");
        }
        if (!header.ok()) {
            throw new IllegalArgumentException(source + " line " + header.line() + ": bad header: " + header.error());
        }
        names = new String[header.fields().length];
        for (int i = 0; i < names.length; i++) {
            String name = header.fields()[i].strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new IllegalArgumentException(source + " line " + header.line() + ": column " + (i + 1)
                        + " of the header has no name; header is " + List.of(header.fields()));
            }
            for (int j = 0; j < i; j++) {
                if (names[j].equals(name)) {
                    throw new IllegalArgumentException(source + " line " + header.line() + ": column '" + name
                            + "' appears twice in the header");
                }
            }
            names[i] = name;
            switch (name) {
                case "phone" -> phoneColumn = i;
                case "tz" -> zoneColumn = i;
                case "locale" -> localeColumn = i;
                default -> { }
            }
        }
        if (phoneColumn < 0) {
            throw new IllegalArgumentException(source + " line " + header.line()
                    + ": no 'phone' column in the header; found " + List.of(header.fields()));
        }
    }

    /** Parser thread: read, validate, hand over in batches. */
    private void parse() {
        List<Item> items = new ArrayList<>(BATCH);
        try {
            for (CsvReader.Row row; !cancelled && (row = csv.next()) != null; ) {
                items.add(validate(row));
                if (items.size() == BATCH) {
                    hand(new Batch(items, false, null));
                    items = new ArrayList<>(BATCH);
                }
            }
            hand(new Batch(items, true, null));
        } catch (Throwable t) {
            try {
                hand(new Batch(List.of(), true, t));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Item validate(CsvReader.Row row) {
        if (!row.ok()) {
            return new Item(row.line(), null, row.error());
        }
        String[] f = row.fields();
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < f.length; i++) {
            if (i != phoneColumn && i != zoneColumn && i != localeColumn) {
                fields.put(names[i], f[i]);
            }
        }
        try {
            return new Item(row.line(), ValidatedRecipient.of(numbers, f[phoneColumn],
                    zoneColumn < 0 ? null : f[zoneColumn], localeColumn < 0 ? null : f[localeColumn], fields), null);
        } catch (IllegalArgumentException e) {
            return new Item(row.line(), null, e.getMessage());
        }
    }

    private void hand(Batch batch) throws InterruptedException {
        while (!cancelled) {
            if (queue.offer(batch, 100, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
    }

    /** Calling thread: apply batches in order. */
    private ImportReport apply(Registrar registrar, ImportListener listener) throws IOException {
        long created = 0;
        long duplicates = 0;
        long rejected = 0;
        while (true) {
            Batch batch;
            try {
                batch = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("import of " + source + " interrupted");
            }
            for (Item item : batch.items()) {
                String reason = item.reason();
                if (reason == null) {
                    try {
                        Registration r = registrar.register(item.input());
                        if (r.created()) {
                            created++;
                        } else {
                            duplicates++;
                        }
                        listener.onAccepted(item.line(), r.id(), r.created());
                        continue;
                    } catch (IllegalArgumentException e) {
                        reason = e.getMessage();
                    }
                }
                rejected++;
                listener.onRejected(item.line(), reason);
            }
            if (batch.done()) {
                rethrow(batch.failure());
                long imported = created + duplicates;
                return new ImportReport(imported, created, duplicates, rejected, imported + rejected);
            }
        }
    }

    private void rethrow(Throwable failure) throws IOException {
        if (failure == null) {
            return;
        }
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof UncheckedIOException e) {
            throw e.getCause();
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IOException("import of " + source + " failed", failure);
    }
}
