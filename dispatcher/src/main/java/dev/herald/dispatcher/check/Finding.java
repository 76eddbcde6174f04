package dev.herald.dispatcher.check;

import java.nio.file.Path;

/**
 * One damaged stored file, as {@code herald data check} reports it: the file and what is wrong.
 *
 * <p>{@code new Finding(file, "at offset 4096: send-ledger slot fails its check byte")}
 *
 * @param file    the damaged file (or directory, when the damage is that something is missing)
 * @param problem what is wrong, for people; does not repeat the file
 */
public record Finding(Path file, String problem) {

    /** Keeps the problem to one line (parser messages run over several). */
    public Finding {
        problem = problem == null ? "" : problem.lines().findFirst().orElse("").strip();
    }

    /**
     * A finding from an exception whose message starts with the file's path (as Herald's damage
     * exceptions do): the path is not repeated.
     *
     * @param file the damaged file
     * @param e    the failure
     * @return the finding
     */
    public static Finding of(Path file, Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        String prefix = file.toString();
        if (m.startsWith(prefix)) {
            m = m.substring(prefix.length()).replaceFirst("^:\\s*", "").strip();
        }
        return new Finding(file, m);
    }

    /**
     * A finding from a damage exception that names its file ({@link dev.herald.suppression.DamagedFileException},
     * {@link dev.herald.suppression.CorruptIndexException}), else one about {@code fallback}.
     *
     * @param e        the failure
     * @param fallback the file to name when {@code e} names none
     * @return the finding
     */
    public static Finding from(Exception e, Path fallback) {
        Throwable c = e instanceof java.io.UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof dev.herald.suppression.DamagedFileException d) {
            return of(d.file(), d);
        }
        if (c instanceof dev.herald.suppression.CorruptIndexException d && d.file() != null) {
            return of(d.file(), d);
        }
        return of(fallback, (Exception) c);
    }

    /** @return {@code <file>: <problem>}, the line {@code herald data check} prints */
    @Override
    public String toString() {
        return file + ": " + problem;
    }
}
