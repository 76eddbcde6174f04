package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class ZoneIndexTest {

    @Test
    void shouldBucketADirectoryByZonesAndRegionAndFollowNewRegistrations(@TempDir Path dir) throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, DirectoryOptions.defaults().withCapacity(1_000))) {
            int paris = d.register("+33612345678", null, null, null).id();
            int reunion = d.register("+33612345679", "Indian/Reunion", null, null).id();
            int london = d.register("+447400123456", "Europe/London", null, null).id();
            int paris2 = d.register("+33612345670", null, null, null).id();
            ZoneIndex index = ZoneIndex.build(d);
            ZoneBuckets s = index.snapshot();
            assertEquals(3, s.buckets().size());
            assertEquals(4, s.size());
            ZoneBuckets.Bucket fr = s.buckets().get(s.bucketOf(paris));
            assertEquals(new ZoneBuckets.Bucket(fr.index(), ZoneSet.of("Europe/Paris"), "FR"), fr);
            assertEquals(MutableRoaringBitmap.bitmapOf(paris, paris2), s.ids(fr.index()));
            assertEquals(ZoneSet.of("Indian/Reunion"), s.buckets().get(s.bucketOf(reunion)).zones());
            assertEquals("GB", index.bucket(london).orElseThrow().region());

            int tokyo = d.register("+81312345678", null, null, null).id();
            assertEquals(1, index.update(d));
            assertEquals(0, index.update(d));
            assertEquals(ZoneSet.of("Asia/Tokyo"), index.bucket(tokyo).orElseThrow().zones());
            assertEquals(-1, s.bucketOf(tokyo), "an old snapshot does not change");
            assertEquals(5, index.snapshot().size());
        }
    }

    @Test
    void shouldMoveAnIdBetweenBucketsAndCacheSnapshotsUntilAChange() {
        ZoneIndex index = new ZoneIndex();
        index.put(70_000, ZoneSet.of("Asia/Tokyo"), "JP");
        index.put(3, ZoneSet.of("Asia/Tokyo"), "JP");
        ZoneBuckets first = index.snapshot();
        assertSame(first, index.snapshot());
        index.put(3, ZoneSet.of("Asia/Tokyo"), "JP");
        assertSame(first, index.snapshot(), "putting an id in its own bucket changes nothing");
        index.put(3, ZoneSet.of("Europe/London"), "GB");
        ZoneBuckets second = index.snapshot();
        assertNotSame(first, second);
        assertEquals(MutableRoaringBitmap.bitmapOf(70_000), second.ids(0));
        assertEquals(MutableRoaringBitmap.bitmapOf(3), second.ids(1));
        assertEquals(1, second.bucketOf(3));
        assertEquals(0, first.bucketOf(3));
        assertEquals(-1, second.bucketOf(4));
        assertEquals(Optional.empty(), index.bucket(4));
        assertTrue(index.bucket(70_000).isPresent());
        assertThrows(IllegalArgumentException.class, () -> index.put(-1, ZoneSet.EMPTY, null));
    }

    @Test
    void shouldSplitAnyIdsByBucketExactlyAsTheBucketsIdsDo() {
        long seed = 0x20_11_22L;
        java.util.Random random = new java.util.Random(seed);
        System.out.println("ZoneIndexTest split seed " + seed);
        String[][] zones = {{"Asia/Tokyo", "JP"}, {"Europe/London", "GB"}, {"Europe/Paris", "FR"}, {"America/New_York", "US"},
            {"America/Los_Angeles", "US"}, {"Australia/Sydney", "AU"}};
        ZoneIndex index = new ZoneIndex();
        for (int i = 0; i < 60_000; i++) {
            int id = random.nextInt(300_000); // several chunk keys, dense and sparse containers
            String[] z = zones[random.nextInt(zones.length)];
            index.put(id, ZoneSet.of(z[0]), z[1]);
        }
        for (int i = 0; i < 5_000; i++) {
            index.put(200_000 + i, ZoneSet.of("Europe/London"), "GB"); // a run
        }
        ZoneBuckets s = index.snapshot();
        for (int round = 0; round < 20; round++) {
            MutableRoaringBitmap ids = new MutableRoaringBitmap();
            int n = random.nextInt(80_000);
            for (int i = 0; i < n; i++) {
                ids.add(random.nextInt(400_000)); // some outside every bucket, some beyond every key
            }
            if (round % 2 == 0) {
                ids.add(195_000L, 210_000L);
            }
            java.util.SortedMap<Integer, MutableRoaringBitmap> parts = s.split(ids);
            MutableRoaringBitmap union = new MutableRoaringBitmap();
            MutableRoaringBitmap left = ids.clone();
            for (ZoneBuckets.Bucket b : s.buckets()) {
                MutableRoaringBitmap expected = MutableRoaringBitmap.and(ids, s.ids(b.index()));
                assertEquals(expected.isEmpty() ? null : expected, parts.get(b.index()), "bucket " + b + " round " + round);
                left.andNot(expected);
            }
            assertEquals(left.isEmpty() ? null : left, parts.get(-1), "ids in no bucket, round " + round);
            parts.values().forEach(union::or);
            assertEquals(ids, union);
        }
        assertEquals(java.util.Map.of(), s.split(new MutableRoaringBitmap()));
    }
}
