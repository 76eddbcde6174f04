package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyState.Lane;
import dev.herald.dispatcher.journey.JourneyState.RunState;

import java.util.Map;
import java.util.TreeMap;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A journey's whole state as bytes: what a compacted instance log starts with
 * ({@link JourneyLog.Rec.ImagePart}), loaded back in place of replaying every change. Versioned
 * ({@link #IMAGE_VERSION}); entries older than the longest re-entry window are left out.
 */
final class JourneyImage {

    private JourneyImage() {
    }

    /** Writes the whole state to {@code out} (streamed: the image is never in memory whole). */
    static void write(JourneyState st, java.io.DataOutputStream out) throws java.io.IOException {
        {
            out.writeInt(IMAGE_VERSION);
            out.writeLong(st.cursor);
            out.writeLong(st.nextRun);
            out.writeLong(st.entered);
            writeCounts(out, st.exited);
            out.writeInt(st.arrived.size());
            for (Map.Entry<Integer, Map<Integer, Long>> v : st.arrived.entrySet()) {
                out.writeInt(v.getKey());
                out.writeInt(v.getValue().size());
                for (Map.Entry<Integer, Long> e : v.getValue().entrySet()) {
                    out.writeInt(e.getKey());
                    out.writeLong(e.getValue());
                }
            }
            out.writeInt(st.outcomes.size());
            for (Map.Entry<Integer, Map<Integer, Map<String, Long>>> v : st.outcomes.entrySet()) {
                out.writeInt(v.getKey());
                out.writeInt(v.getValue().size());
                for (Map.Entry<Integer, Map<String, Long>> e : v.getValue().entrySet()) {
                    out.writeInt(e.getKey());
                    writeCounts(out, e.getValue());
                }
            }
            out.writeInt(st.active.size());
            for (MutableRoaringBitmap b : st.active) {
                b.serialize(out);
            }
            out.writeInt(st.versions.size());
            for (Map.Entry<Integer, Map<Integer, Lane>> v : st.versions.entrySet()) {
                out.writeInt(v.getKey());
                out.writeInt(v.getValue().size());
                for (Lane l : v.getValue().values()) {
                    out.writeInt(l.lane);
                    l.all.serialize(out);
                    for (int i = 0; i < l.members.length; i++) {
                        l.members[i].serialize(out);
                        l.stale[i].serialize(out);
                        l.pending[i].serialize(out);
                        out.writeInt(l.due.get(i).size());
                        for (Map.Entry<Long, MutableRoaringBitmap> d : l.due.get(i).entrySet()) {
                            out.writeLong(d.getKey());
                            d.getValue().serialize(out);
                        }
                    }
                }
            }
            out.writeInt(st.keys.size());
            for (Map.Entry<Long, String> k : st.keys.entrySet()) {
                out.writeLong(k.getKey());
                out.writeUTF(k.getValue());
            }
            out.writeInt(st.offsets.size());
            for (Map.Entry<Long, Long> k : st.offsets.entrySet()) {
                out.writeLong(k.getKey());
                out.writeLong(k.getValue());
            }
            st.everEntered.serialize(out);
            st.enteredKeys.serialize(out);
            // entries older than the longest re-entry window matter no more: the image leaves them out
            long keepFrom = lastEntryKeptFrom(st);
            st.lastEntry.values().removeIf(t -> t < keepFrom);
            out.writeInt(st.lastEntry.size());
            for (Map.Entry<Integer, Long> k : st.lastEntry.entrySet()) {
                out.writeInt(k.getKey());
                out.writeLong(k.getValue());
            }
            out.writeInt(st.runs.size());
            for (RunState r : st.runs.values()) {
                out.writeLong(r.seq);
                out.writeInt(r.version);
                out.writeInt(r.step);
                out.writeInt(r.lane);
                r.ids.serialize(out);
                r.settled.serialize(out);
                r.cancelled.serialize(out);
            }
            st.seen.serialize(out);
            out.writeInt(st.dateFired.size());
            for (Map.Entry<String, Long> d : st.dateFired.entrySet()) {
                out.writeUTF(d.getKey());
                out.writeLong(d.getValue());
            }
            st.flow.write(out);
        }
        out.flush();
    }

    /** @return the oldest last-entry time any version's re-entry window still needs (epoch ms; the latest entry's clock) */
    private static long lastEntryKeptFrom(JourneyState st) {
        long latest = st.lastEntry.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long window = 0;
        for (int v : st.versions.keySet()) {
            java.time.Duration w = st.plans.apply(v).reentryWindow();
            window = Math.max(window, w == null ? 0 : w.toMillis());
        }
        return window == 0 ? Long.MIN_VALUE : latest - window;
    }

    /** The image format's version: 2 adds the flow ({@link JourneyFlow}); a version-1 image loads with none. */
    static final int IMAGE_VERSION = 2;

    /** Replaces the state with the image read from {@code image} (to its end). */
    static void load(JourneyState st, java.io.InputStream image) throws java.io.IOException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(image, 1 << 16))) {
            int v0 = in.readInt();
            if (v0 != IMAGE_VERSION && v0 != 1) {
                throw new java.io.IOException("image version " + v0 + ", this Herald reads 1 to " + IMAGE_VERSION);
            }
            st.versions.clear();
            st.active.clear();
            st.keys.clear();
            st.offsets.clear();
            st.lastEntry.clear();
            st.runs.clear();
            st.exited.clear();
            st.arrived.clear();
            st.outcomes.clear();
            st.dateFired.clear();
            st.flow.clear();
            st.cursor = in.readLong();
            st.nextRun = in.readLong();
            st.entered = in.readLong();
            readCounts(in, st.exited);
            for (int n = in.readInt(), i = 0; i < n; i++) {
                Map<Integer, Long> m = st.arrived.computeIfAbsent(in.readInt(), k -> new TreeMap<>());
                for (int k = in.readInt(), j = 0; j < k; j++) {
                    m.put(in.readInt(), in.readLong());
                }
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                Map<Integer, Map<String, Long>> m = st.outcomes.computeIfAbsent(in.readInt(), k -> new TreeMap<>());
                for (int k = in.readInt(), j = 0; j < k; j++) {
                    Map<String, Long> c = new TreeMap<>();
                    m.put(in.readInt(), c);
                    readCounts(in, c);
                }
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                st.active.add(bitmap(in));
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                int version = in.readInt();
                for (int k = in.readInt(), j = 0; j < k; j++) {
                    Lane l = st.lane(version, in.readInt());
                    l.all.or(bitmap(in));
                    for (int s = 0; s < l.members.length; s++) {
                        l.members[s] = bitmap(in);
                        l.stale[s] = bitmap(in);
                        l.pending[s] = bitmap(in);
                        for (int b = in.readInt(), x = 0; x < b; x++) {
                            l.due.get(s).put(in.readLong(), bitmap(in));
                        }
                    }
                }
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                st.keys.put(in.readLong(), in.readUTF());
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                st.offsets.put(in.readLong(), in.readLong());
            }
            st.everEntered.clear();
            st.everEntered.or(bitmap(in));
            st.enteredKeys.clear();
            st.enteredKeys.deserialize(in);
            for (int n = in.readInt(), i = 0; i < n; i++) {
                st.lastEntry.put(in.readInt(), in.readLong());
            }
            for (int n = in.readInt(), i = 0; i < n; i++) {
                RunState r = new RunState(in.readLong(), in.readInt(), in.readInt(), in.readInt(), bitmap(in));
                r.settled.or(bitmap(in));
                r.cancelled.or(bitmap(in));
                st.runs.put(r.seq, r);
            }
            st.seen.clear();
            st.seen.or(bitmap(in));
            for (int n = in.readInt(), i = 0; i < n; i++) {
                st.dateFired.put(in.readUTF(), in.readLong());
            }
            if (v0 >= 2) {
                st.flow.read(in);
            }
            if (in.read() >= 0) {
                throw new java.io.IOException("bytes after the image");
            }
        }
    }

    private static void writeCounts(java.io.DataOutputStream out, Map<String, Long> counts) throws java.io.IOException {
        out.writeInt(counts.size());
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    private static void readCounts(java.io.DataInputStream in, Map<String, Long> into) throws java.io.IOException {
        for (int n = in.readInt(), i = 0; i < n; i++) {
            into.put(in.readUTF(), in.readLong());
        }
    }

    private static MutableRoaringBitmap bitmap(java.io.DataInputStream in) throws java.io.IOException {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.deserialize(in);
        return b;
    }
}
