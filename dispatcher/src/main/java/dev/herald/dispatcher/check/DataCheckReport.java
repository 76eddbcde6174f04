package dev.herald.dispatcher.check;

import java.util.List;
import java.util.Locale;

/**
 * What {@link DataCheck} found in a data directory.
 *
 * <p>{@code if (!report.ok()) report.damaged().forEach(System.out::println); System.out.println(report.summary());}
 *
 * @param stores       stores checked
 * @param filesChecked files read and checked
 * @param damaged      one finding per damaged file
 * @param torn         one note per log with an incomplete last record (dropped and reported at the
 *                     next open; not damage)
 */
public record DataCheckReport(int stores, int filesChecked, List<Finding> damaged, List<Finding> torn) {

    public DataCheckReport {
        damaged = List.copyOf(damaged);
        torn = List.copyOf(torn);
    }

    /** @return whether no file is damaged */
    public boolean ok() {
        return damaged.isEmpty();
    }

    /** @return one line: {@code data check: 0 damaged files (37 files in 9 stores checked)} */
    public String summary() {
        return String.format(Locale.ROOT, "data check: %,d damaged file%s (%,d files in %d stores checked)%s",
                damaged.size(), damaged.size() == 1 ? "" : "s", filesChecked, stores,
                torn.isEmpty() ? "" : String.format(Locale.ROOT, "; %,d log%s with a torn last record, dropped at the next open",
                        torn.size(), torn.size() == 1 ? "" : "s"));
    }
}
