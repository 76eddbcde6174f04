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
 * @param pending      store kinds whose files are not checked yet (named in the summary)
 */
public record DataCheckReport(int stores, int filesChecked, List<Finding> damaged, List<String> pending) {

    public DataCheckReport {
        damaged = List.copyOf(damaged);
        pending = List.copyOf(pending);
    }

    /** @return whether no file is damaged */
    public boolean ok() {
        return damaged.isEmpty();
    }

    /** @return one line: {@code data check: 0 damaged files (37 files in 9 stores checked)} */
    public String summary() {
        return String.format(Locale.ROOT, "data check: %,d damaged file%s (%,d files in %d stores checked)%s",
                damaged.size(), damaged.size() == 1 ? "" : "s", filesChecked, stores,
                pending.isEmpty() ? "" : "; not checked yet: " + String.join(", ", pending));
    }
}
