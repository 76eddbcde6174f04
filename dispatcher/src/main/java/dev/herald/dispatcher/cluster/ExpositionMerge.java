package dev.herald.dispatcher.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several Prometheus text expositions (format 0.0.4, as Micrometer's registries write them) made
 * into one: the node's own, then each local partition's with {@code partition="N"} added to every
 * series.
 *
 * <pre>{@code
 * ExpositionMerge m = new ExpositionMerge();
 * m.add(nodeText, null);          // the node's own series, as they are
 * m.add(partitionText, 7);        // herald_messages_total{outcome="sent"} -> {partition="7",outcome="sent"}
 * String text = m.text();
 * }</pre>
 *
 * <p>Invariants of the result (what a Prometheus parser requires): each metric family is declared
 * once ({@code # HELP}, {@code # TYPE}), the first declaration seen kept; all of a family's samples
 * follow its declaration, together; no series (name and labels) appears twice. A family declared
 * again with another type is dropped from the later text (and logged): its samples could not be
 * read under the first one's type. A series seen again (which distinct partition labels rule out)
 * is dropped the same way.
 *
 * <p>Not thread-safe: one per scrape.
 */
final class ExpositionMerge {

    private static final Logger LOG = LoggerFactory.getLogger(ExpositionMerge.class);

    /** The label each partition's series get. */
    static final String LABEL = "partition";

    /** One metric family: its declaration lines and its samples. */
    private static final class Family {
        String help;
        String typeLine;
        String type;
        final List<String> samples = new ArrayList<>();
    }

    private final Map<String, Family> families = new LinkedHashMap<>();
    private final Set<String> series = new HashSet<>();

    /**
     * Adds one exposition.
     *
     * @param text      Prometheus text (format 0.0.4)
     * @param partition the partition it is of ({@code partition="N"} is added to each series), or null
     *                  for the node's own (unchanged)
     */
    void add(String text, Integer partition) {
        Family current = null;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String rest = line.substring(7);
                int space = rest.indexOf(' ');
                String name = space < 0 ? rest : rest.substring(0, space);
                Family f = families.computeIfAbsent(name, k -> new Family());
                if (line.startsWith("# HELP ")) {
                    if (f.help == null) {
                        f.help = line;
                    }
                } else {
                    String type = space < 0 ? "untyped" : rest.substring(space + 1).strip();
                    if (f.type == null) {
                        f.type = type;
                        f.typeLine = line;
                    } else if (!f.type.equals(type)) {
                        LOG.warn("metrics: {} is a {} here and a {} in {}; the latter is left out", name, f.type, type,
                                partition == null ? "the node's own" : "partition " + partition);
                        current = null;
                        continue;
                    }
                }
                current = f;
            } else if (line.startsWith("#")) {
                continue; // a comment
            } else if (current != null) {
                String labelled = partition == null ? line : labelled(line, partition);
                String key = seriesKey(labelled);
                if (series.add(key)) {
                    current.samples.add(labelled);
                } else {
                    LOG.warn("metrics: series {} twice (from {}); the second is left out", key,
                            partition == null ? "the node's own" : "partition " + partition);
                }
            }
        }
    }

    /** @return every family added, each declared once with its samples after it, as Prometheus text */
    String text() {
        StringBuilder out = new StringBuilder();
        for (Family f : families.values()) {
            if (f.samples.isEmpty() && f.typeLine == null) {
                continue;
            }
            if (f.help != null) {
                out.append(f.help).append('\n');
            }
            if (f.typeLine != null) {
                out.append(f.typeLine).append('\n');
            }
            for (String s : f.samples) {
                out.append(s).append('\n');
            }
        }
        return out.toString();
    }

    /** {@code line} with {@code partition="N"} as its first label. */
    static String labelled(String line, int partition) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String label = LABEL + "=\"" + partition + "\"";
        if (i < line.length() && line.charAt(i) == '{') {
            boolean none = i + 1 < line.length() && line.charAt(i + 1) == '}';
            return line.substring(0, i + 1) + label + (none ? "" : ",") + line.substring(i + 1);
        }
        return line.substring(0, i) + "{" + label + "}" + line.substring(i);
    }

    /** The series a sample line is of: its name and labels (everything before the value). */
    static String seriesKey(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        if (i >= line.length() || line.charAt(i) == ' ') {
            return line.substring(0, i);
        }
        boolean quoted = false;
        for (int j = i + 1; j < line.length(); j++) {
            char c = line.charAt(j);
            if (quoted && c == '\\') {
                j++; // an escaped character inside a label value
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '}' && !quoted) {
                return line.substring(0, j + 1);
            }
        }
        return line;
    }
}
