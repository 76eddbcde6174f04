package dev.herald.dispatcher.demo;

import java.io.Reader;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic audience as CSV text ({@code phone,tz,locale,first_name}), generated line by line
 * as it is read, so an audience of any size costs a few kilobytes of memory.
 *
 * <p>Line {@code i} depends only on the seed and the lines before it: same seed, same text.
 * Each line picks a segment by weight, takes the segment's next (distinct) number, writes the
 * zone when the segment's numbers do not imply it or otherwise with probability
 * {@code explicitZoneShare}, and draws a first name of the country.
 *
 * <p>Not thread-safe: read it from one thread (the import's parser thread). {@link #counts()} may
 * be read by another thread once reading has ended and been joined.
 */
final class AudienceCsv extends Reader {

    static final String HEADER = "phone,tz,locale,first_name\n";

    private final List<NumberBlock> blocks;
    private final double[] cumulative;
    private final long[] counts;
    private final long lines;
    private final double explicitZoneShare;
    private final SplittableRandom random;
    private final StringBuilder pending = new StringBuilder(8192);
    private int pendingPos;
    private long written;
    private boolean headerWritten;

    /**
     * @param blocks            the segments' number blocks
     * @param lines             data lines to produce
     * @param explicitZoneShare chance that a zone the number implies is written anyway, 0 to 1
     * @param random            seeded source of the choices
     */
    AudienceCsv(List<NumberBlock> blocks, long lines, double explicitZoneShare, SplittableRandom random) {
        this.blocks = List.copyOf(blocks);
        this.lines = lines;
        this.explicitZoneShare = explicitZoneShare;
        this.random = random;
        this.counts = new long[blocks.size()];
        this.cumulative = new double[blocks.size()];
        double sum = 0;
        for (int i = 0; i < blocks.size(); i++) {
            sum += blocks.get(i).segment.weight();
            cumulative[i] = sum;
        }
        for (int i = 0; i < cumulative.length; i++) {
            cumulative[i] /= sum;
        }
        cumulative[cumulative.length - 1] = 1.0;
    }

    /** @return data lines produced per block, in the order of the blocks */
    long[] counts() {
        return counts.clone();
    }

    @Override
    public int read(char[] buf, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (pendingPos >= pending.length()) {
            pending.setLength(0);
            pendingPos = 0;
            if (!headerWritten) {
                pending.append(HEADER);
                headerWritten = true;
            }
            while (written < lines && pending.length() < 8000) {
                appendLine();
            }
            if (pending.length() == 0) {
                return -1;
            }
        }
        int n = Math.min(len, pending.length() - pendingPos);
        pending.getChars(pendingPos, pendingPos + n, buf, off);
        pendingPos += n;
        return n;
    }

    private void appendLine() {
        int i = Arrays.binarySearch(cumulative, random.nextDouble());
        i = i >= 0 ? Math.min(i + 1, cumulative.length - 1) : -i - 1;
        NumberBlock block = blocks.get(i);
        block.appendNext(pending);
        pending.append(',');
        boolean explicit = random.nextDouble() < explicitZoneShare;
        if (block.zoneAlwaysExplicit || explicit) {
            pending.append(block.zone);
        }
        List<String> names = block.country.firstNames();
        pending.append(',').append(block.country.locale()).append(',')
                .append(names.get(random.nextInt(names.size()))).append('\n');
        counts[i]++;
        written++;
    }

    @Override
    public void close() {
        // Nothing to release: the text exists only as it is read.
    }
}
