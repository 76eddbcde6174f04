package dev.herald.dispatcher.api;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * A CSV generated as it is read: a header, then {@code line.apply(i)} for i in [0, lines). Never
 * holds more than a few thousand lines, so a million-line upload is streamed on the client side too.
 */
public final class GeneratedCsv extends InputStream {
    private final int lines;
    private final IntFunction<String> line;
    private int next;
    private byte[] chunk;
    private int pos;

    /**
     * @param lines  data lines
     * @param header the header row, without line break
     * @param line   data line i, without line break
     */
    public GeneratedCsv(int lines, String header, IntFunction<String> line) {
        this.lines = lines;
        this.line = line;
        this.chunk = (header + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private boolean fill() {
        if (pos < chunk.length) {
            return true;
        }
        if (next >= lines) {
            return false;
        }
        StringBuilder sb = new StringBuilder(64 * 1024);
        for (int end = Math.min(lines, next + 2_000); next < end; next++) {
            sb.append(line.apply(next)).append('\n');
        }
        chunk = sb.toString().getBytes(StandardCharsets.UTF_8);
        pos = 0;
        return true;
    }

    @Override
    public int read() {
        return fill() ? chunk[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, chunk.length - pos);
        System.arraycopy(chunk, pos, b, off, n);
        pos += n;
        return n;
    }
}
