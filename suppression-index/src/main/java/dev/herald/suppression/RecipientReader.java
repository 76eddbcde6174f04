package dev.herald.suppression;

import dev.herald.suppression.internal.RecipientStore;
import dev.herald.suppression.internal.RecordScratch;

import java.util.List;
import java.util.Objects;

/**
 * Reads the number and a fixed set of personal fields of many recipients, fastest in ascending id
 * order: the records come from the directory's id-ordered pages (consecutive ids are adjacent in
 * memory-mapped files), not from a hashed lookup per id; ids not yet in the pages are read from
 * the map. What the send stage needs to render a chunk.
 *
 * <pre>{@code
 * RecipientReader reader = directory.reader(template.fieldNames());   // once per batch or thread
 * RecipientFields[] batch = reader.fields(ids);                       // ids ascending: sequential
 * }</pre>
 *
 * <p>Not thread-safe (it reuses one buffer): one reader per thread. Cheap to create. Reads see
 * every registration that returned before them.
 */
public final class RecipientReader {

    private final RecipientDirectory directory;
    private final RecipientStore store;
    private final String[] names;
    private final RecordScratch scratch = new RecordScratch();

    RecipientReader(RecipientDirectory directory, RecipientStore store, List<String> names) {
        this.directory = directory;
        this.store = store;
        this.names = names.toArray(String[]::new);
        for (String n : this.names) {
            Objects.requireNonNull(n, "field name");
        }
    }

    /**
     * @param id a recipient id
     * @return its number and those of the reader's fields it has, or null if the id was never handed out
     * @throws IllegalStateException if the directory is closed or the stored record is corrupt
     */
    public RecipientFields fields(int id) {
        directory.ensureOpen();
        return store.fields(id, names, scratch);
    }

    /**
     * @param ids recipient ids, best in ascending order (any order is correct)
     * @return one element per id, at the same position: its number and fields, or null for an id
     *     that was never handed out
     * @throws IllegalStateException if the directory is closed or a stored record is corrupt
     */
    public RecipientFields[] fields(int[] ids) {
        directory.ensureOpen();
        RecipientFields[] out = new RecipientFields[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = store.fields(ids[i], names, scratch);
        }
        return out;
    }

    /**
     * The whole recipient (zone, locale, every field), from the pages as {@link #fields(int)}.
     *
     * @param id a recipient id
     * @return the recipient, or null if the id was never handed out
     * @throws IllegalStateException if the directory is closed or the stored record is corrupt
     */
    public Recipient recipient(int id) {
        directory.ensureOpen();
        return store.get(id, scratch);
    }

    /** @return the field names this reader reads, in the order given */
    public List<String> fieldNames() {
        return List.of(names);
    }
}
