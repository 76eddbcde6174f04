package dev.herald.dispatcher.cli;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.DamagedFileException;
import dev.herald.suppression.InvalidPhoneNumberException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

import picocli.CommandLine;

/** Maps failures to one clear line and an exit code. Stateless. */
final class Failures {
    private Failures() {
    }

    static int exitCode(Throwable e) {
        Throwable c = unwrap(e);
        if (c instanceof NoSuchFileException n && n.getReason() != null) {
            return HeraldCommand.DATA_ERROR; // the data directory, not an input file
        }
        if (c instanceof CommandLine.ParameterException || c instanceof IllegalArgumentException
                || c instanceof InvalidPhoneNumberException || c instanceof NoSuchFileException) {
            return HeraldCommand.BAD_INPUT;
        }
        return HeraldCommand.DATA_ERROR;
    }

    static String describe(Throwable e) {
        Throwable c = unwrap(e);
        if (c instanceof NoSuchFileException n) {
            return n.getReason() != null ? n.getFile() + ": " + n.getReason() : "no such file: " + n.getFile();
        }
        if (c instanceof CorruptIndexException || c instanceof DamagedFileException) {
            return "stored data is damaged and was not loaded: " + c.getMessage();
        }
        String m = c.getMessage();
        return m == null || m.isBlank() ? c.toString() : m;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable c = e;
        while ((c instanceof UncheckedIOException || c instanceof CommandLine.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof IOException && c.getCause() instanceof InvalidPhoneNumberException ip) {
            return ip;
        }
        return c;
    }
}
