package dev.herald.suppression.store;

import java.nio.file.Path;

/**
 * What a read-only check of one stored file found; the file was not changed.
 *
 * <pre>{@code
 * VerifyResult r = LineLog.verify(path);
 * if (!r.ok()) System.out.println(r.describe());
 * }</pre>
 *
 * @param file      the file checked
 * @param frames    whole, valid records before the end, the torn tail or the damage
 * @param tornBytes bytes of an incomplete last record that the next open drops (0 if none)
 * @param tornAt    the offset of that record (-1 if none)
 * @param damage    why the store would be refused, or null
 */
public record VerifyResult(Path file, long frames, long tornBytes, long tornAt, DamagedStoreException damage) {

    /** A file that opens without dropping or refusing anything. */
    public static VerifyResult clean(Path file, long frames) {
        return new VerifyResult(file, frames, 0, -1, null);
    }

    /** A file that would be refused. */
    public static VerifyResult damaged(Path file, long frames, DamagedStoreException damage) {
        return new VerifyResult(file, frames, 0, -1, damage);
    }

    /** Whether the file is neither damaged nor torn. */
    public boolean ok() {
        return damage == null && tornBytes == 0;
    }

    /** Whether the file would be refused. */
    public boolean isDamaged() {
        return damage != null;
    }

    /** One line: what is wrong, or {@code ok}. */
    public String describe() {
        if (damage != null) {
            return damage.getMessage();
        }
        if (tornBytes > 0) {
            return file + ": incomplete last record (" + tornBytes + " bytes at offset " + tornAt
                    + "), dropped and reported on the next open";
        }
        return file + ": ok (" + frames + " records)";
    }
}
