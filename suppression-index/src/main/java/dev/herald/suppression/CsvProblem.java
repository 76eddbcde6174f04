package dev.herald.suppression;

/**
 * Why {@link CsvReader} could not take a record. Each problem has the reader's own wording
 * ({@link #message()}, what the directory import reports); a caller that words it otherwise, as
 * the HTTP opt-out upload does, switches on the record type instead of parsing the text.
 *
 * <p>{@code if (row.problem() instanceof CsvProblem.InvalidUtf8) { ... }}
 *
 * <p>Immutable.
 */
public sealed interface CsvProblem {

    /** @return what is wrong, in the reader's wording, e.g. {@code line too long (70000 bytes > 65536)} */
    String message();

    /**
     * A quoted field still open at the end of the input.
     *
     * @param openedOnLine physical 1-based line of the opening quote
     */
    record UnterminatedQuote(long openedOnLine) implements CsvProblem {
        @Override
        public String message() {
            return "unterminated quoted field (opened on line " + openedOnLine + ")";
        }
    }

    /**
     * A record longer than the reader's limit; it was skipped up to the end of the physical line
     * on which the limit was passed, never buffered past the limit.
     *
     * @param bytes              UTF-8 bytes of the record up to that line end
     * @param limit              the limit, in UTF-8 bytes
     * @param quoteOpenedOnLine  line of the quoted field the limit was passed in, or 0 if none
     */
    record TooLong(long bytes, int limit, long quoteOpenedOnLine) implements CsvProblem {
        @Override
        public String message() {
            return "line too long (" + bytes + " bytes > " + limit + ")"
                    + (quoteOpenedOnLine > 0 ? ", inside a quoted field opened on line " + quoteOpenedOnLine : "");
        }
    }

    /**
     * A character other than a comma, a line end or a second quote right after a closing quote.
     *
     * @param character the character
     * @param field     1-based field number
     */
    record AfterClosingQuote(char character, int field) implements CsvProblem {
        @Override
        public String message() {
            return "unexpected character '" + printable(character) + "' after the closing quote of field " + field;
        }
    }

    /**
     * A quote inside an unquoted field, refused only under {@link CsvReader.Quotes#STRICT} (it is
     * data under {@link CsvReader.Quotes#LENIENT}).
     *
     * @param field 1-based field number
     */
    record StrayQuote(int field) implements CsvProblem {
        @Override
        public String message() {
            return "stray '\"' in field " + field + ": quote the whole field and write a quote inside it as \"\"";
        }
    }

    /** Bytes that are not UTF-8 (decoded as U+FFFD) somewhere in the record. */
    record InvalidUtf8() implements CsvProblem {
        @Override
        public String message() {
            return "invalid UTF-8 (undecodable bytes, shown as U+FFFD)";
        }
    }

    /**
     * A record with another number of fields than the header (the first record); the row keeps
     * its fields.
     *
     * @param expected fields in the header
     * @param found    fields in this record
     */
    record WrongFieldCount(int expected, int found) implements CsvProblem {
        @Override
        public String message() {
            return "expected " + expected + " fields as in the header, found " + found;
        }
    }

    private static String printable(char c) {
        return Character.isISOControl(c) ? String.format("\\u%04X", (int) c) : String.valueOf(c);
    }
}
